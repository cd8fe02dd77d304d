package sambadc_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/sambadc"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// TestDomainTicketsAndPAC: tickets the Samba KDC issues for iissd's SPN
// (to a password logon, no kinit) are accepted by our Kerberos acceptor
// with the keytab exported from the domain (samba-tool domain
// exportkeytab), and the PAC's group SIDs say who is in IIS Operators:
// the authorization data iissd decides on ([MS-PAC] 2.5).
func TestDomainTicketsAndPAC(t *testing.T) {
	dc := sambadc.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	path, err := dc.Keytab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Load(path)
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
	acc := kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt, SPNs: []string{sambadc.ServiceSPN},
		IsAdmin: func(id kerberos.Identity) bool { return slices.Contains(id.SIDs, group) }})
	logon := func(user, pass string) (kerberos.Identity, bool, error) {
		creds := kerberos.FromPassword(user, sambadc.Realm, pass, kcfg)
		c := kerberos.NewClient(kerberos.ClientConfig{Tickets: creds, SPN: sambadc.ServiceSPN})
		sc, err := acc.NewServerContext()
		if err != nil {
			t.Fatal(err)
		}
		s := sc.(*kerberos.Server)
		tok, _, err := c.Step(ctx, nil)
		if err != nil {
			return kerberos.Identity{}, false, err
		}
		for i := 0; i < 4; i++ {
			out, done, err := s.Step(ctx, tok)
			if err != nil {
				return kerberos.Identity{}, false, err
			}
			if done {
				return s.Identity(), s.Peer().Admin, nil
			}
			if tok, _, err = c.Step(ctx, out); err != nil {
				return kerberos.Identity{}, false, err
			}
		}
		t.Fatal("handshake did not finish")
		return kerberos.Identity{}, false, nil
	}

	id, admin, err := logon(sambadc.Operator, sambadc.OperatorPass)
	if err != nil {
		t.Fatal(err)
	}
	if !id.HasPAC || id.UserSID == "" || !slices.Contains(id.SIDs, group) || !admin {
		t.Errorf("operator: %+v admin=%v; want the PAC to carry %s", id, admin, group)
	}
	if !slices.Contains(id.SIDs, dc.DomainSID+"-513") {
		t.Errorf("operator's PAC lacks Domain Users: %v", id.SIDs)
	}
	id, admin, err = logon(sambadc.Outsider, sambadc.OutsiderPass)
	if err != nil {
		t.Fatal(err)
	}
	if !id.HasPAC || slices.Contains(id.SIDs, group) || admin {
		t.Errorf("outsider: %+v admin=%v", id, admin)
	}
	// The disabled account gets no ticket at all.
	if _, _, err := logon(sambadc.Disabled, sambadc.DisabledPass); err == nil {
		t.Error("the KDC issued a ticket to the disabled account")
	}
}
