package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/sambadc"
)

// startDomainMember runs the demo iissd as a member of the Samba test
// domain: NTLM logons naming IISTEST go to the DC through winbind's
// ntlm_auth (run inside the DC's namespaces, where its winbindd socket
// is), and the members of IIS Operators and Domain Admins are
// administrators. The local users file keeps working beside it.
func startDomainMember(t *testing.T, dc *sambadc.DC) *demoServer {
	t.Helper()
	return startReady(t, demoOptions{Edit: domainEdit(dc)})
}

func domainEdit(dc *sambadc.DC) func(*Config) {
	return func(c *Config) {
		c.Domain = DomainConfig{Name: sambadc.Domain, DNSName: sambadc.DNSName,
			NTLMAuth: append(dc.ExecPrefix(), "ntlm_auth", "--configfile="+dc.SmbConf),
			Wbinfo:   append(dc.ExecPrefix(), "wbinfo")}
		c.Security.NetBIOSDomain, c.Security.DNSDomain = sambadc.Domain, sambadc.DNSName
		c.Security.AdminGroups = []string{sambadc.Domain + `\` + sambadc.Group, dc.DomainSID + "-512"} // a name and a SID (Domain Admins)
	}
}

// domainCLI runs iisctl as DOMAIN\user with password.
func domainCLI(t *testing.T, user, password string, args ...string) cliResult {
	t.Helper()
	return cli(t, []string{"IISCTL_PASSWORD=" + password}, append(args, "-u", sambadc.Domain+`\`+user)...)
}

// TestDomainNTLMEndToEnd: iisctl with domain accounts against iissd as a
// domain member; every logon is validated by the Samba DC.
func TestDomainNTLMEndToEnd(t *testing.T) {
	dc := sambadc.Shared(t)
	d := startDomainMember(t, dc)
	target := d.Target()

	// A domain admin and a member of IIS Operators control iissd, with raw
	// NTLM and with SPNEGO.
	r := domainCLI(t, sambadc.Admin, sambadc.AdminPassword, "stop", target, "--auth", "ntlm", "--json")
	wantCode(t, r, 0)
	waitStates(t, d, map[string]string{"W3SVC": "Stopped"})
	r = domainCLI(t, sambadc.Operator, sambadc.OperatorPass, "start", target, "--auth", "spnego")
	wantCode(t, r, 0)
	waitStates(t, d, map[string]string{"W3SVC": "Running"})
	wantCode(t, domainCLI(t, sambadc.Operator, sambadc.OperatorPass, "status", target, "--auth", "ntlm"), 0)

	// The local users file still works beside the domain.
	wantCode(t, admin(t, "status", target), 0)

	// Refused: a user outside the group (authenticated, not an
	// administrator), a wrong password, a disabled account.
	for _, c := range []struct{ user, pass, why string }{
		{sambadc.Outsider, sambadc.OutsiderPass, "not an administrator"},
		{sambadc.Operator, "wrong", "wrong password"},
		{sambadc.Disabled, sambadc.DisabledPass, "account disabled"},
	} {
		r := domainCLI(t, c.user, c.pass, "status", target)
		wantCode(t, r, 3)
		wantContains(t, "iissd log", d.Logs(), c.why)
	}
	logs := d.Logs()
	wantContains(t, "iissd log", logs, `account=IISTEST\carol`, `reason="account disabled"`, `caller=IISTEST\bob`)

	// Removed from the group, a member is refused on the next connection.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wantCode(t, domainCLI(t, sambadc.Leaver, sambadc.LeaverPass, "status", target), 0)
	if err := dc.RemoveMember(ctx, sambadc.Group, sambadc.Leaver); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.AddMember(context.Background(), sambadc.Group, sambadc.Leaver) })
	r = domainCLI(t, sambadc.Leaver, sambadc.LeaverPass, "status", target)
	wantCode(t, r, 3)
	if !strings.Contains(d.Logs(), `caller=IISTEST\dave`) {
		t.Errorf("the refusal of dave is not logged:\n%s", d.Logs())
	}
}

// TestDomainImpacketNTLM: impacket, an independent client, with domain
// accounts over NTLM: a member of IIS Operators activates and drives
// iissd; a user outside the group is refused activation (E_ACCESSDENIED)
// and a disabled account cannot log on.
func TestDomainImpacketNTLM(t *testing.T) {
	dc := sambadc.Shared(t)
	d := impacketDemoWith(t, 9, domainEdit(dc))
	recs := runImpacket(t, d, impacketArgs{User: sambadc.Operator, Password: sambadc.OperatorPass, Domain: sambadc.Domain},
		"status", "stop:20000:1", "start:20000")
	wantOps(t, recs, "activate", "status", "stop", "start")
	for _, r := range recs {
		wantHR(t, r, hrOK)
	}
	wantContains(t, "iissd log", d.Logs(), `"user":"IISTEST\\alice"`, `"method":"Stop"`)

	// Outside the group: authenticated, activation refused. Disabled: the
	// DC refuses the logon (auth3 has no reply: the activation faults).
	recs = runImpacket(t, d, impacketArgs{User: sambadc.Outsider, Password: sambadc.OutsiderPass, Domain: sambadc.Domain}, "status")
	wantOps(t, recs, "activate")
	wantHR(t, recs[0], hrAccessDenied)
	recs = runImpacket(t, d, impacketArgs{User: sambadc.Disabled, Password: sambadc.DisabledPass, Domain: sambadc.Domain}, "status")
	wantOps(t, recs, "activate")
	wantHR(t, recs[0], faultAccessDenied)
	wantContains(t, "iissd log", d.Logs(), `reason="account disabled"`)
}
