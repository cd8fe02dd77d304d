package sambadc_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/iisctl/iisctl/internal/sambadc"
	"github.com/iisctl/iisctl/kerberos"
)

// TestKerberosPACFromSambaKDC: our acceptor, given iissd's keytab from
// the AD DC, verifies the PAC of tickets the DC's KDC issued to our
// initiator and returns the user SID and the group SIDs ([MS-KILE]
// 3.4.5.3): alice's include IIS Operators, bob's do not, so admin_sids
// can authorize by group.
func TestKerberosPACFromSambaKDC(t *testing.T) {
	dc := sambadc.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ktPath, err := dc.Keytab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Load(ktPath)
	if err != nil {
		t.Fatal(err)
	}
	kcfg, err := kerberos.LoadConfig(dc.Krb5Conf, "", "")
	if err != nil {
		t.Fatal(err)
	}
	group, err := dc.SID(ctx, sambadc.Group)
	if err != nil {
		t.Fatal(err)
	}
	acc := kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt, SPNs: []string{sambadc.ServiceSPN}})
	for _, tc := range []struct {
		user, pass string
		member     bool
	}{{sambadc.Operator, sambadc.OperatorPass, true}, {sambadc.Outsider, sambadc.OutsiderPass, false}} {
		t.Run(tc.user, func(t *testing.T) {
			cli := kerberos.NewClient(kerberos.ClientConfig{
				Tickets: kerberos.FromPassword(tc.user, sambadc.Realm, tc.pass, kcfg), SPN: sambadc.ServiceSPN})
			srv, err := kerberos.NewServer(acc.Config)
			if err != nil {
				t.Fatal(err)
			}
			req, _, err := cli.Step(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep, _, err := srv.Step(ctx, req)
			if err != nil {
				t.Fatalf("acceptor: %v", err)
			}
			third, _, err := cli.Step(ctx, rep)
			if err != nil {
				t.Fatal(err)
			}
			if _, done, err := srv.Step(ctx, third); err != nil || !done {
				t.Fatalf("third leg: %v", err)
			}
			id := srv.Identity()
			if !id.HasPAC || !strings.HasPrefix(id.UserSID, dc.DomainSID+"-") || !strings.EqualFold(id.Principal, tc.user) {
				t.Fatalf("identity %+v (domain %s)", id, dc.DomainSID)
			}
			if got := slices.Contains(id.SIDs, group); got != tc.member {
				t.Fatalf("%s in %s (%s): %v, want %v; SIDs %v", tc.user, sambadc.Group, group, got, tc.member, id.SIDs)
			}
		})
	}
}
