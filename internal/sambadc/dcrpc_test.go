package sambadc_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/sambadc"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// dssetup ([MS-DSSP] 3.2): DsRolerGetPrimaryDomainInformation, opnum 0.
var dssetupIface = rpc.SyntaxID{UUID: ndr.MustGUID("3919286a-b10c-11d0-9ba8-00c04fd92ef5"), Major: 0}

const (
	dsRolePrimaryDomainInfoBasic      = 1 // DsRolePrimaryDomainInfoBasic
	dsRoleRolePrimaryDomainController = 5 // DsRole_RolePrimaryDomainController
)

// primaryDomainInfo is DSROLER_PRIMARY_DOMAIN_INFO_BASIC ([MS-DSSP] 2.2.1).
type primaryDomainInfo struct {
	role              uint16
	flags             uint32
	flat, dns, forest string
	guid              ndr.GUID
}

// getPrimaryDomainInfo calls DsRolerGetPrimaryDomainInformation(level 1)
// and decodes the answer (NDR20).
func getPrimaryDomainInfo(ctx context.Context, c *rpc.Conn, pc *rpc.PresContext) (*primaryDomainInfo, error) {
	w := ndr.NewWriter(ndr.NDR20)
	w.Uint16(dsRolePrimaryDomainInfoBasic)
	out, err := c.Call(ctx, pc, 0, nil, w.Bytes())
	if err != nil {
		return nil, err
	}
	r := ndr.NewReader(out, ndr.NDR20)
	var info primaryDomainInfo
	var status uint32
	present := r.Pointer(func(r *ndr.Reader) {
		if level := r.Uint16(); level != dsRolePrimaryDomainInfoBasic {
			r.Failf("union arm %d", level)
			return
		}
		r.Align(4)
		info.role = r.Uint16()
		r.Align(4)
		info.flags = r.Uint32()
		ptrs := []*string{&info.flat, &info.dns, &info.forest}
		var have [3]bool
		for i := range ptrs {
			have[i] = r.Uint32() != 0
		}
		r.Copy(info.guid[:])
		for i, p := range ptrs {
			if have[i] {
				*p = r.WString()
			}
		}
	})
	r.Flush()
	r.Align(4)
	status = r.Uint32()
	if err := r.Err(); err != nil {
		return nil, err
	}
	if !present || status != 0 {
		return nil, fmt.Errorf("DsRolerGetPrimaryDomainInformation: status %x present %v\n%x", status, present, out)
	}
	return &info, nil
}

// TestNTLMSealingAgainstSambaDC: our rpc client, with our NTLM (raw and
// inside SPNEGO), at packet privacy, against Samba's own DCE/RPC server
// and NTLM acceptor on the DC over ncacn_ip_tcp: the sealed answer
// decodes to the domain's names, the DC's log names the account it
// authenticated with the auth type and level, and a wrong password is
// refused by the DC.
func TestNTLMSealingAgainstSambaDC(t *testing.T) {
	dc := sambadc.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := net.JoinHostPort(dc.IP, strconv.Itoa(sambadc.RPCPort))

	for _, tc := range []struct {
		name string
		init rpc.Initiator
		user string
	}{
		{"ntlm", ntlm.Initiator{Config: ntlm.ClientConfig{User: sambadc.Operator, Domain: sambadc.Domain, Password: sambadc.OperatorPass, Workstation: "IISCTL"}}, sambadc.Operator},
		{"spnego", spnego.Initiator{Config: ntlm.ClientConfig{User: sambadc.Admin, Domain: sambadc.Domain, Password: sambadc.AdminPassword, Workstation: "IISCTL"}}, sambadc.Admin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := rpc.Dial(ctx, addr, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			pc, err := c.Bind(ctx, dssetupIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: tc.init, Level: rpc.AuthLevelPrivacy}})
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			for i := 0; i < 2; i++ { // two sealed calls: the sequence numbers advance on both sides
				info, err := getPrimaryDomainInfo(ctx, c, pc)
				if err != nil {
					t.Fatal(err)
				}
				if info.flat != sambadc.Domain || !strings.EqualFold(info.dns, sambadc.DNSName) ||
					!strings.EqualFold(info.forest, sambadc.DNSName) || info.role != dsRoleRolePrimaryDomainController {
					t.Fatalf("answer %+v", info)
				}
			}
			// Samba's audit names the account it authenticated, by NTLMSSP, on this endpoint.
			re := regexp.MustCompile(`(?i)Auth: \[DCE/RPC,NTLMSSP\] user \[` + sambadc.Domain + `\]\\\[` + tc.user +
				`\] [^\n]*status \[NT_STATUS_OK\][^\n]*local host \[ipv4:` + regexp.QuoteMeta(addr) + `\]`)
			if m := re.FindString(dcLog(t, dc)); m != "" {
				t.Logf("the DC logged: %.300s", m)
			} else {
				t.Errorf("the DC's log does not name %s:\n%s", tc.user, tailString(dcLog(t, dc), 3000))
			}
		})
	}

	// A wrong password: the DC refuses the bind or the first call.
	c, err := rpc.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bad := ntlm.Initiator{Config: ntlm.ClientConfig{User: sambadc.Operator, Domain: sambadc.Domain, Password: "wrong"}}
	pc, err := c.Bind(ctx, dssetupIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: bad, Level: rpc.AuthLevelPrivacy}})
	if err == nil {
		_, err = getPrimaryDomainInfo(ctx, c, pc)
	}
	if err == nil {
		t.Fatal("the DC answered a client with a wrong password")
	}
}

func dcLog(t *testing.T, dc *sambadc.DC) string {
	var all strings.Builder
	files, _ := filepath.Glob(filepath.Join(dc.Dir, "log", "log.*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all.Write(b)
	}
	return all.String()
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestKerberosSealingAgainstSambaDC: our Kerberos initiator (tickets
// from the Samba KDC with a password, no kinit, no ccache) at packet
// privacy against Samba's DCE/RPC server: raw auth type 16 and Kerberos
// inside SPNEGO, AES256 (the domain's default) — the sealed answers decode
// to the domain's names and the DC's authorization log names the account
// and the mechanism (krb5, also inside SPNEGO).
func TestKerberosSealingAgainstSambaDC(t *testing.T) {
	dc := sambadc.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := net.JoinHostPort(dc.IP, strconv.Itoa(sambadc.RPCPort))
	kcfg, err := kerberos.LoadConfig(dc.Krb5Conf, "", "")
	if err != nil {
		t.Fatal(err)
	}
	spn := "host/" + sambadc.FQDN
	for _, tc := range []struct {
		name string
		init func(kerberos.ClientConfig) rpc.Initiator
		user string
		pass string
	}{
		{"krb5", func(c kerberos.ClientConfig) rpc.Initiator { return kerberos.Initiator{Config: c} }, sambadc.Operator, sambadc.OperatorPass},
		{"spnego", func(c kerberos.ClientConfig) rpc.Initiator { return spnego.Initiator{Kerberos: &c} }, sambadc.Admin, sambadc.AdminPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds := kerberos.FromPassword(tc.user, sambadc.Realm, tc.pass, kcfg)
			c, err := rpc.Dial(ctx, addr, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			pc, err := c.Bind(ctx, dssetupIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{
				Initiator: tc.init(kerberos.ClientConfig{Tickets: creds, SPN: spn}), Level: rpc.AuthLevelPrivacy}})
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			for i := 0; i < 2; i++ {
				info, err := getPrimaryDomainInfo(ctx, c, pc)
				if err != nil {
					t.Fatal(err)
				}
				if info.flat != sambadc.Domain || !strings.EqualFold(info.dns, sambadc.DNSName) || info.role != dsRoleRolePrimaryDomainController {
					t.Fatalf("answer %+v", info)
				}
			}
			re := regexp.MustCompile(`(?i)Successful AuthZ: \[DCE/RPC,krb5\] user \[` + sambadc.Domain + `\]\\\[` + tc.user + `\][^\n]*`)
			if m := re.FindString(dcLog(t, dc)); m != "" {
				t.Logf("the DC logged: %.300s", m)
			} else {
				for _, l := range strings.Split(dcLog(t, dc), "\n") {
					if strings.Contains(l, tc.user) || strings.Contains(l, "AuthZ") {
						t.Log(l)
					}
				}
				t.Errorf("the DC's log does not name %s", tc.user)
			}
		})
	}
	// A wrong password never gets a ticket.
	creds := kerberos.FromPassword(sambadc.Operator, sambadc.Realm, "wrong", kcfg)
	if _, _, err := creds.ServiceTicket(ctx, spn); err == nil {
		t.Error("the KDC issued a ticket for a wrong password")
	}
}
