package rpc_test

// Kerberos against a real MIT KDC (internal/krbtest): our initiator with
// tickets from the KDC (gokrb5 AS/TGS with a password, and a kinit
// ccache) against our acceptor holding the keytab kadmin exported, at
// integrity and privacy, raw (16) and in SPNEGO, for services whose only
// key is AES256, AES128 or RC4 (so ticket and session key are of that
// type); impacket (kinit/kvno ccache, useCache) against our acceptor; and
// the refusals a real KDC can produce.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/iisctl/iisctl/internal/krbtest"
	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

var kdcEtypes = []string{krbtest.AES256, krbtest.AES128, krbtest.RC4}

// kdcSPN is the service principal whose only key is of enctype e.
func kdcSPN(e string) string { return "host/" + strings.SplitN(e, "-", 2)[0] + ".iisctl.test" }

type kdcEnv struct {
	kdc    *krbtest.KDC
	keytab string // all services' keys
	addr   string
	seen   *seenCalls
	acc    *kerberos.Acceptor
}

func startKDCEnv(t *testing.T) *kdcEnv {
	t.Helper()
	k := krbtest.StartKDC(t)
	k.AddUser("alice", "alice-krb-pw")
	k.AddUser("bob", "bob-krb-pw")
	env := &kdcEnv{kdc: k, keytab: filepath.Join(k.Dir, "iissd.keytab")}
	var spns []string
	for _, e := range kdcEtypes {
		spns = append(spns, kdcSPN(e))
		k.AddService(kdcSPN(e), e)
		k.ExportKeytab(env.keytab, kdcSPN(e))
	}
	kt, err := keytab.Load(env.keytab)
	if err != nil {
		t.Fatal(err)
	}
	env.acc = kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt, SPNs: spns,
		IsAdmin: func(i kerberos.Identity) bool { return i.Principal == "alice" && i.Realm == krbtest.Realm }})
	env.seen = &seenCalls{}
	s := rpc.NewServer(&rpc.ServerConfig{
		Acceptors: []rpc.Acceptor{env.acc, spnego.Acceptor{Config: srvConfig(), Kerberos: env.acc}},
		MinLevel:  rpc.AuthLevelIntegrity, Logger: quiet(),
	})
	if err := s.Register(rpc.Interface{UUID: ntlmIface.UUID, Major: ntlmIface.Major, Opnums: opnumsInEcho, Handler: env.seen.handler()}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() { s.Close(); <-done })
	env.addr = l.Addr().String()
	return env
}

func (e *kdcEnv) initiator(t *testing.T, typ rpc.AuthType, src kerberos.TicketSource, spn string) rpc.Initiator {
	cfg := kerberos.ClientConfig{Tickets: src, SPN: spn}
	if typ == rpc.AuthTypeSPNEGO {
		return spnego.Initiator{Kerberos: &cfg}
	}
	return kerberos.Initiator{Config: cfg}
}

func (e *kdcEnv) password(t *testing.T, user, pw string) *kerberos.Credentials {
	cfg, err := kerberos.LoadConfig(e.kdc.Config, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return kerberos.FromPassword(user, krbtest.Realm, pw, cfg)
}

// TestKDCKerberosGoClient: our client with real tickets, every provider,
// level and etype, from a password and from a kinit ccache.
func TestKDCKerberosGoClient(t *testing.T) {
	env := startKDCEnv(t)
	cfg, err := kerberos.LoadConfig(env.kdc.Config, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"password", "ccache"} {
		for _, p := range krbProviders {
			for _, e := range kdcEtypes {
				for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
					t.Run(src+"/"+p.name+"/"+e+"/"+levelNames[lvl], func(t *testing.T) {
						var ts kerberos.TicketSource = env.password(t, "alice", "alice-krb-pw")
						if src == "ccache" {
							cc := env.kdc.Kinit("alice", "alice-krb-pw", "", kdcSPN(e))
							if ts, err = kerberos.FromCCache("FILE:"+cc, cfg); err != nil {
								t.Fatal(err)
							}
						}
						c, tap := dialTap(t, env.addr, nil)
						pc := authBind(t, c, ntlmIface, env.initiator(t, p.typ, ts, kdcSPN(e)), lvl)
						in := append([]byte("MARKER-kdc-call"), stubOf(400, 9)...)
						for i := 0; i < 2; i++ {
							out, err := c.Call(tctx(t), pc, echoOpnum, nil, in)
							if err != nil || !bytes.Equal(out, in) {
								t.Fatalf("echo %d: %v", i, err)
							}
						}
						got := env.seen.last()
						if got.Peer.User != "alice" || got.Peer.Domain != krbtest.Realm || !got.Peer.Admin || got.AuthType != p.typ {
							t.Fatalf("peer %+v type %v", got.Peer, got.AuthType)
						}
						if bytes.Contains(bytes.Join(tap.sent(), nil), []byte("MARKER")) == (lvl == rpc.AuthLevelPrivacy) {
							t.Fatal("privacy leaked or integrity sealed")
						}
						if ks, ok := got.Security.(*kerberos.Server); ok {
							if want := map[string]int32{krbtest.AES256: 18, krbtest.AES128: 17, krbtest.RC4: 23}[e]; ks.Identity().Etype != want {
								t.Fatalf("session key etype %d, want %d", ks.Identity().Etype, want)
							}
						}
					})
				}
			}
		}
	}
}

// TestKDCKerberosRefusals: each refusal gets bind_nak (the spec's answer
// to a failed first leg) with the Kerberos reason in our error chain on
// the server side, and the server keeps serving.
func TestKDCKerberosRefusals(t *testing.T) {
	env := startKDCEnv(t)
	spn := kdcSPN(krbtest.AES256)
	bind := func(t *testing.T, ts kerberos.TicketSource, spn string) error {
		c, _ := dialTap(t, env.addr, nil)
		_, err := c.Bind(tctx(t), ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{
			Initiator: env.initiator(t, rpc.AuthTypeKerberos, ts, spn), Level: rpc.AuthLevelPrivacy}})
		return err
	}
	wantNak := func(t *testing.T, err error) {
		t.Helper()
		var nak *rpc.BindNakError
		if !errors.As(err, &nak) {
			t.Fatalf("got %v, want bind_nak", err)
		}
	}
	t.Run("unknown principal", func(t *testing.T) {
		err := bind(t, env.password(t, "mallory", "x"), spn)
		if !errors.Is(err, kerberos.ErrUnknownPrincipal) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		if err := bind(t, env.password(t, "alice", "wrong"), spn); !errors.Is(err, kerberos.ErrPreauth) && !errors.Is(err, kerberos.ErrModified) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ticket for another SPN", func(t *testing.T) {
		env.kdc.AddService("host/elsewhere.iisctl.test")
		wantNak(t, bind(t, env.password(t, "alice", "alice-krb-pw"), "host/elsewhere.iisctl.test"))
	})
	t.Run("unknown service", func(t *testing.T) {
		if err := bind(t, env.password(t, "alice", "alice-krb-pw"), "host/nosuch.iisctl.test"); !errors.Is(err, kerberos.ErrUnknownPrincipal) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("skew", func(t *testing.T) {
		old := env.acc.Config.Now
		env.acc.Config.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
		defer func() { env.acc.Config.Now = old }()
		wantNak(t, bind(t, env.password(t, "alice", "alice-krb-pw"), spn))
	})
	t.Run("expired ticket", func(t *testing.T) {
		old := env.acc.Config.Now
		env.acc.Config.Now = func() time.Time { return time.Now().Add(11 * time.Hour) }
		defer func() { env.acc.Config.Now = old }()
		wantNak(t, bind(t, env.password(t, "alice", "alice-krb-pw"), spn))
	})
	t.Run("wrong keytab key", func(t *testing.T) {
		env.kdc.AddService("host/rekeyed.iisctl.test", krbtest.AES256)
		stale := filepath.Join(env.kdc.Dir, "stale.keytab")
		env.kdc.ExportKeytab(stale, "host/rekeyed.iisctl.test")
		env.kdc.Rekey("host/rekeyed.iisctl.test")
		kt, err := keytab.Load(stale)
		if err != nil {
			t.Fatal(err)
		}
		acc := kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt})
		srv, _ := kerberos.NewServer(acc.Config)
		cli := kerberos.NewClient(kerberos.ClientConfig{Tickets: env.password(t, "alice", "alice-krb-pw"), SPN: "host/rekeyed.iisctl.test"})
		req, _, err := cli.Step(tctx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.Step(tctx(t), req); !errors.Is(err, kerberos.ErrNoKey) && !errors.Is(err, kerberos.ErrModified) {
			t.Fatalf("stale keytab: %v", err)
		}
	})
	t.Run("non-admin principal", func(t *testing.T) {
		c, _ := dialTap(t, env.addr, nil)
		pc := authBind(t, c, ntlmIface, env.initiator(t, rpc.AuthTypeSPNEGO, env.password(t, "bob", "bob-krb-pw"), spn), rpc.AuthLevelPrivacy)
		if _, err := c.Call(tctx(t), pc, echoOpnum, nil, []byte("bob")); err != nil {
			t.Fatal(err)
		}
		if p := env.seen.last().Peer; p.User != "bob" || p.Admin {
			t.Fatalf("bob seen as %+v", p)
		}
	})
	// Still serving.
	c, _ := dialTap(t, env.addr, nil)
	pc := authBind(t, c, ntlmIface, env.initiator(t, rpc.AuthTypeKerberos, env.password(t, "alice", "alice-krb-pw"), spn), rpc.AuthLevelPrivacy)
	if _, err := c.Call(tctx(t), pc, echoOpnum, nil, []byte("still")); err != nil {
		t.Fatal(err)
	}
}

// impacketKrb binds with SPNEGO/Kerberos from the ccache named by
// KRB5CCNAME (useCache), at the given level, and echoes stubs.
const impacketKrb = `
import sys
from impacket.dcerpc.v5 import transport, rpcrt
from impacket.uuid import uuidtup_to_bin
name, port, iface, user, realm, kdc, level = sys.argv[1:8]
t = transport.DCERPCTransportFactory('ncacn_ip_tcp:%s[%s]' % (name, port))
t.setRemoteHost('127.0.0.1')
t.set_credentials(user, '', realm)
t.set_kerberos(True, kdcHost=kdc)
dce = t.get_dce_rpc()
dce.set_auth_type(rpcrt.RPC_C_AUTHN_GSS_NEGOTIATE)
dce.set_auth_level({'integrity': rpcrt.RPC_C_AUTHN_LEVEL_PKT_INTEGRITY, 'privacy': rpcrt.RPC_C_AUTHN_LEVEL_PKT_PRIVACY}[level])
dce.connect()
dce.bind(uuidtup_to_bin((iface, '1.0')))
for n in (8, 64, 400, 3000):
    stub = bytes((i * 7 + 1) & 0xff for i in range(n))
    dce.call(0, stub)
    r = dce.recv()
    if r != stub:
        print('MISMATCH', n, len(r))
        sys.exit(2)
    print('echo', n)
dce.disconnect()
`

// TestKDCKerberosImpacket: impacket with a kinit/kvno ccache completes
// sealed calls (SPNEGO with a framed AP-REQ, alter_context third leg, no
// header signing) with AES256, AES128 and RC4 session keys. Stub sizes
// are multiples of 8: impacket pads an RC4 stub to 8 inside the sealed
// region (not DCE style), which would otherwise lengthen the stub.
func TestKDCKerberosImpacket(t *testing.T) {
	peertest.Python(t)
	env := startKDCEnv(t)
	_, port, _ := net.SplitHostPort(env.addr)
	for _, e := range kdcEtypes {
		t.Run(e+"/privacy", func(t *testing.T) {
			name := strings.TrimPrefix(kdcSPN(e), "host/")
			cc := env.kdc.Kinit("alice", "alice-krb-pw", "", kdcSPN(e))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			t.Setenv("KRB5CCNAME", cc)
			out, stderr, err := peertest.RunPython(t, ctx, impacketKrb, name, port, ntlmIface.UUID.String(),
				"alice", krbtest.Realm, env.kdc.Host, "privacy")
			if err != nil || strings.Count(out, "echo ") != 4 {
				t.Fatalf("impacket: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
			}
			got := env.seen.last()
			if got.Peer.User != "alice" || !got.Peer.Admin || got.AuthType != rpc.AuthTypeSPNEGO || got.AuthLevel != rpc.AuthLevelPrivacy {
				t.Fatalf("impacket seen as %+v %v %d", got.Peer, got.AuthType, got.AuthLevel)
			}
		})
	}
}
