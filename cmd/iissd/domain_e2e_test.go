package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
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

// domainCLI runs iisctl as DOMAIN\user with password, with no
// krb5.conf for the domain (Kerberos impossible: negotiate uses NTLM).
func domainCLI(t *testing.T, user, password string, args ...string) cliResult {
	t.Helper()
	return cli(t, []string{"IISCTL_PASSWORD=" + password, "KRB5_CONFIG=/nonexistent"}, append(args, "-u", sambadc.Domain+`\`+user)...)
}

// startKerberosMember is startDomainMember with Kerberos: the service
// keytab exported from the domain (samba-tool domain exportkeytab).
func startKerberosMember(t *testing.T, dc *sambadc.DC) *demoServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kt, err := dc.Keytab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	edit := domainEdit(dc)
	return startReady(t, demoOptions{Edit: func(c *Config) {
		edit(c)
		c.Kerberos = KerberosConfig{Keytab: kt, SPNs: []string{sambadc.ServiceSPN}}
	}})
}

// krbCLI runs iisctl as IISTEST\user with a password, the domain's
// krb5.conf (KRB5_CONFIG: realm IISTEST.LOCAL and its KDC), and the
// service's SPN: no kinit, no ticket cache.
func krbCLI(t *testing.T, dc *sambadc.DC, user, password string, args ...string) cliResult {
	t.Helper()
	return cli(t, []string{"IISCTL_PASSWORD=" + password, "KRB5_CONFIG=" + dc.Krb5Conf, "KRB5CCNAME="},
		append(args, "-u", sambadc.Domain+`\`+user, "--spn", sambadc.ServiceSPN)...)
}

// TestDomainKerberosEndToEnd: iisctl -u IISTEST\alice with a password
// gets tickets from the Samba KDC (no kinit) and controls iissd with
// Kerberos in SPNEGO; iissd accepts them with the domain's keytab and
// authorizes by the PAC's group SIDs against admin_groups. Refusals: a
// user outside the group, one removed from it (a fresh ticket carries the
// new membership), a disabled account. Without a realm for the domain,
// negotiate falls back to NTLM and says so.
func TestDomainKerberosEndToEnd(t *testing.T) {
	dc := sambadc.Shared(t)
	d := startKerberosMember(t, dc)
	target := d.Target()

	r := krbCLI(t, dc, sambadc.Operator, sambadc.OperatorPass, "stop", target, "--json", "-v")
	wantCode(t, r, 0)
	if j := parseJSON(t, r); len(j) != 1 || j[0].Mechanism != "Kerberos" || j[0].Provider != "negotiate" || j[0].Fallback != "" {
		t.Fatalf("want Kerberos through negotiate:\n%s", r)
	}
	wantContains(t, "iisctl -v", r.stderr, "authenticated with Kerberos (negotiate)")
	waitStates(t, d, map[string]string{"W3SVC": "Stopped"})
	r = krbCLI(t, dc, sambadc.Admin, sambadc.AdminPassword, "start", target, "--auth", "kerberos", "-v") // raw auth type 16
	wantCode(t, r, 0)
	wantContains(t, "iisctl -v", r.stderr, "authenticated with Kerberos (kerberos)")
	waitStates(t, d, map[string]string{"W3SVC": "Running"})
	wantContains(t, "iissd log", d.Logs(), `"user":"IISTEST.LOCAL\\alice"`, `"mechanism":"Kerberos"`)

	// Refused by the PAC: outside the group; removed from it.
	wantCode(t, krbCLI(t, dc, sambadc.Outsider, sambadc.OutsiderPass, "status", target), 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wantCode(t, krbCLI(t, dc, sambadc.Leaver, sambadc.LeaverPass, "status", target), 0)
	if err := dc.RemoveMember(ctx, sambadc.Group, sambadc.Leaver); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.AddMember(context.Background(), sambadc.Group, sambadc.Leaver) })
	wantCode(t, krbCLI(t, dc, sambadc.Leaver, sambadc.LeaverPass, "status", target), 3)
	// The KDC refuses the disabled account; NTLM then meets the DC's refusal.
	wantCode(t, krbCLI(t, dc, sambadc.Disabled, sambadc.DisabledPass, "status", target), 3)
	// A wrong password is not a reason to try NTLM.
	r = krbCLI(t, dc, sambadc.Operator, "wrong", "status", target, "-v")
	wantCode(t, r, 3)
	if strings.Contains(r.stderr, "authenticated with") {
		t.Errorf("a wrong password fell back to NTLM:\n%s", r)
	}

	// No realm for the domain: negotiate uses NTLM and says why.
	r = domainCLI(t, sambadc.Operator, sambadc.OperatorPass, "status", target, "--json", "-v")
	wantCode(t, r, 0)
	if j := parseJSON(t, r); len(j) != 1 || j[0].Mechanism != "NTLM" || j[0].Fallback == "" {
		t.Fatalf("want the NTLM fallback:\n%s", r)
	}
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
	// The audit trail has each refused logon with the DC's reason.
	wantContains(t, "audit trail", logs, `"user":"IISTEST\\carol","addr"`, `"method":"Logon"`,
		`account disabled (domain controller: The referenced account is currently disabled`)

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

	// This iissd has no keytab: the KDC gives iisctl a ticket, iissd
	// refuses it, and negotiate falls back to NTLM, saying why.
	r = krbCLI(t, dc, sambadc.Operator, sambadc.OperatorPass, "status", target, "--json")
	wantCode(t, r, 0)
	if j := parseJSON(t, r); len(j) != 1 || j[0].Mechanism != "NTLM" || !strings.Contains(j[0].Fallback, "refused the Kerberos ticket") {
		t.Errorf("want the NTLM fallback after a refused ticket:\n%s", r)
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

// TestDomainImpacketKerberos: impacket with a domain account over
// Kerberos (SPNEGO, SPN host/ADDRESS, its own AP exchange and wrap
// tokens) drives iissd, which accepts the ticket with a keytab exported
// from the domain and authorizes by the PAC; a user outside the group is
// refused activation. impacket 0.10's own TGS-REQ is refused by the
// Samba KDC (KRB_AP_ERR_INAPP_CKSUM: no checksum in its authenticator,
// as with MIT), so MIT kinit and kvno fill the ticket cache impacket
// reads (KRB5CCNAME), as its documentation suggests.
func TestDomainImpacketKerberos(t *testing.T) {
	dc := sambadc.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// impacket asks for host/<the address it was given>.
	const ip = "127.35.0.10"
	kt := t.TempDir() + "/iissd.keytab"
	for _, spn := range []string{"host/" + ip, "host/127.0.0.1"} {
		if err := dc.AddSPN(ctx, spn, sambadc.ServiceAccount); err != nil {
			t.Fatal(err)
		}
	}
	if err := dc.ExportKeytab(ctx, kt, "host/"+ip, "host/127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	edit := domainEdit(dc)
	d := impacketDemoWith(t, 10, func(c *Config) {
		edit(c)
		c.Kerberos = KerberosConfig{Keytab: kt}
	})
	host, _, _ := strings.Cut(d.Target(), ":")
	krb := impacketArgs{User: sambadc.Operator, Password: sambadc.OperatorPass, Domain: sambadc.Realm, KDC: dc.IP}
	ticketCache(t, dc, krb.User, krb.Password, "host/"+host)
	recs := runImpacket(t, d, krb, "status", "stop:20000:1", "start:20000")
	wantOps(t, recs, "activate", "status", "stop", "start")
	for _, r := range recs {
		wantHR(t, r, hrOK)
	}
	wantContains(t, "iissd log", d.Logs(), `"user":"IISTEST.LOCAL\\alice"`, `"mechanism":"Kerberos"`)

	krb.User, krb.Password = sambadc.Outsider, sambadc.OutsiderPass
	ticketCache(t, dc, krb.User, krb.Password, "host/"+host)
	recs = runImpacket(t, d, krb, "status")
	wantOps(t, recs, "activate")
	wantHR(t, recs[0], hrAccessDenied)
}

// ticketCache fills a fresh ticket cache, named in KRB5CCNAME for the
// rest of the test, with user's TGT (MIT kinit, password on stdin) and a
// ticket for spn (kvno), from the test domain's KDC.
func ticketCache(t *testing.T, dc *sambadc.DC, user, password, spn string) {
	t.Helper()
	if _, err := exec.LookPath("kinit"); err != nil {
		peertest.Skip(t, "MIT kinit not installed: apt-get install krb5-user")
	}
	cc := filepath.Join(t.TempDir(), "krb5cc")
	t.Setenv("KRB5CCNAME", cc)
	env := append(os.Environ(), "KRB5_CONFIG="+dc.Krb5Conf, "KRB5CCNAME=FILE:"+cc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kinit := exec.CommandContext(ctx, "kinit", user+"@"+sambadc.Realm)
	kinit.Env, kinit.Stdin = env, strings.NewReader(password+"\n")
	if out, err := kinit.CombinedOutput(); err != nil {
		t.Fatalf("kinit %s: %v\n%s", user, err, out)
	}
	kvno := exec.CommandContext(ctx, "kvno", spn)
	kvno.Env = env
	if out, err := kvno.CombinedOutput(); err != nil {
		t.Fatalf("kvno %s: %v\n%s", spn, err, out)
	}
}
