package sambadc_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/sambadc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sambadc.StopShared()
	os.Exit(code)
}

// TestFixtures checks the domain the harness provisions: the accounts
// exist, winbind validates passwords against the DC, the disabled account
// is refused, group membership is as documented, and changes made at run
// time take effect.
func TestFixtures(t *testing.T) {
	dc := sambadc.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	out, err := dc.Exec(ctx, "wbinfo", "-u")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{sambadc.Operator, sambadc.Outsider, sambadc.Disabled, sambadc.Leaver, sambadc.Admin} {
		if !strings.Contains(out, u) {
			t.Errorf("wbinfo -u lacks %s:\n%s", u, out)
		}
	}
	if _, err := dc.Exec(ctx, "wbinfo", "-a", sambadc.Domain+`\`+sambadc.Operator+"%"+sambadc.OperatorPass); err != nil {
		t.Errorf("operator logon: %v", err)
	}
	if _, err := dc.Exec(ctx, "wbinfo", "-a", sambadc.Domain+`\`+sambadc.Operator+"%wrong"); err == nil {
		t.Errorf("a wrong password was accepted")
	}
	if out, err := dc.Exec(ctx, "wbinfo", "-a", sambadc.Domain+`\`+sambadc.Disabled+"%"+sambadc.DisabledPass); err == nil {
		t.Errorf("the disabled account logged on: %s", out)
	}
	members, err := dc.Tool(ctx, "group", "listmembers", sambadc.Group)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{sambadc.Operator, sambadc.Disabled, sambadc.Leaver} {
		if !strings.Contains(members, u) {
			t.Errorf("%s is not in %q: %s", u, sambadc.Group, members)
		}
	}
	if strings.Contains(members, sambadc.Outsider) {
		t.Errorf("%s is in %q", sambadc.Outsider, sambadc.Group)
	}
	sid, err := dc.SID(ctx, sambadc.Group)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sid, dc.DomainSID+"-") {
		t.Errorf("group SID %s is not in the domain %s", sid, dc.DomainSID)
	}
}
