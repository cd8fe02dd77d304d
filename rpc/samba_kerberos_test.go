package rpc_test

// Samba's rpcclient with Kerberos (its Heimdal, a kinit ccache from the
// MIT KDC of internal/krbtest) against our acceptor: auth type 16 with a
// bare AP-REQ ([seal,krb5]) and SPNEGO with a bare AP-REQ inside
// ([seal,spnego]), for services whose only key is AES256, AES128 or RC4.
// rpcclient will not do Kerberos to an IP address, so the binding names
// the service host with target_hostname; nothing needs to resolve.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

func TestSambaRpcclientKerberos(t *testing.T) {
	bin, err := exec.LookPath("rpcclient")
	if err != nil {
		peertest.Skip(t, "rpcclient not installed: apt-get install smbclient")
	}
	if os.Geteuid() != 0 {
		peertest.Skip(t, "rpcclient needs an endpoint mapper on TCP 135: run as root")
	}
	env := startKDCEnv(t)
	kt, err := keytab.Load(env.keytab)
	if err != nil {
		t.Fatal(err)
	}
	acc := kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt,
		IsAdmin: func(i kerberos.Identity) bool { return i.Principal == "alice" }})
	h := &srvsvcServer{name: "SRV", comment: sambaSrvComment}
	s := rpc.NewServer(&rpc.ServerConfig{
		Acceptors: []rpc.Acceptor{acc, spnego.Acceptor{Config: srvConfig(), Kerberos: acc}},
		MinLevel:  rpc.AuthLevelPrivacy, Logger: quiet(),
	})
	if err := s.Register(rpc.Interface{UUID: srvsvcIface.UUID, Major: srvsvcIface.Major, Opnums: srvsvcOpnums, Handler: h}); err != nil {
		t.Fatal(err)
	}
	port := serveOn(t, s, net.JoinHostPort(sambaHost, "0")).Addr().(*net.TCPAddr).Port
	epm := &epmMapper{ifc: srvsvcIface, ip: net.ParseIP(sambaHost), port: uint16(port)}
	es := rpc.NewServer(&rpc.ServerConfig{Logger: quiet()})
	if err := es.Register(rpc.Interface{UUID: epmIface.UUID, Major: epmIface.Major, Opnums: 7, Handler: epm,
		MinLevel: rpc.AuthLevelNone}); err != nil {
		t.Fatal(err)
	}
	serveOn(t, es, net.JoinHostPort(sambaHost, "135"))
	dir := t.TempDir()
	conf := filepath.Join(dir, "smb.conf")
	cfg := fmt.Sprintf("[global]\n\tworkgroup = IISCTL\n\trealm = IISCTL.TEST\n\tclient use kerberos = required\n"+
		"\tlock directory = %[1]s\n\tstate directory = %[1]s\n\tcache directory = %[1]s\n\tprivate dir = %[1]s\n", dir)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cc := env.kdc.Kinit("alice", "alice-krb-pw", "")
	for _, e := range kdcEtypes {
		for _, mech := range []struct {
			opt string
			typ rpc.AuthType
		}{{"krb5", rpc.AuthTypeKerberos}, {"spnego", rpc.AuthTypeSPNEGO}} {
			t.Run(e+"/"+mech.opt, func(t *testing.T) {
				host := strings.TrimPrefix(kdcSPN(e), "host/")
				before, _ := h.all()
				ctx, cancel := context.WithTimeout(context.Background(), rpcclientTimeout)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, "-s", conf, "--use-kerberos=required", "-N",
					"ncacn_ip_tcp:"+sambaHost+"[seal,"+mech.opt+",target_hostname="+host+"]", "-c", "srvinfo; srvinfo")
				cmd.WaitDelay = 5 * time.Second
				cmd.Env = append(os.Environ(), "KRB5_CONFIG="+env.kdc.Config, "KRB5CCNAME=FILE:"+cc)
				out, err := cmd.CombinedOutput()
				if err != nil || strings.Count(string(out), sambaSrvComment) != 2 {
					t.Fatalf("rpcclient: %v\n%s", err, out)
				}
				all, _ := h.all()
				calls := all[len(before):]
				if len(calls) != 2 {
					t.Fatalf("%d calls", len(calls))
				}
				for _, c := range calls {
					if c.Peer.User != "alice" || c.Peer.Domain != "IISCTL.TEST" || !c.Peer.Admin || c.AuthType != mech.typ || c.AuthLevel != rpc.AuthLevelPrivacy {
						t.Fatalf("call: peer %+v type %v level %d", c.Peer, c.AuthType, c.AuthLevel)
					}
				}
			})
		}
	}
}
