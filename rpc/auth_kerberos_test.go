package rpc_test

// Kerberos over DCE/RPC in-process: auth type 16 (bare AP-REQ, three legs
// with auth3) and SPNEGO/Kerberos (four legs with alter_context), with
// tickets minted by krbtest.FakeKDC from the service keytab.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"

	"github.com/iisctl/iisctl/internal/krbtest"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

const (
	krbRealm = "EXAMPLE.TEST"
	krbSPN   = "host/iissrv.example.test"
)

type krbSrv struct {
	addr string
	seen *seenCalls
	kt   *krbtest.FakeKDC
}

// startKrbServer serves the echo interface with Kerberos (16), SPNEGO
// (Kerberos or NTLM) and NTLM acceptors.
func startKrbServer(t testing.TB) *krbSrv {
	t.Helper()
	kt := krbtest.Keytab(t, krbRealm, "svc-key", krbSPN)
	acc := kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt, SPNs: []string{krbSPN},
		IsAdmin: func(i kerberos.Identity) bool { return i.Principal == "alice" }})
	seen := &seenCalls{}
	s := rpc.NewServer(&rpc.ServerConfig{
		Acceptors: []rpc.Acceptor{acc, spnego.Acceptor{Config: srvConfig(), Kerberos: acc}, ntlm0()},
		MinLevel:  rpc.AuthLevelConnect,
		Logger:    quiet(),
	})
	if err := s.Register(rpc.Interface{UUID: ntlmIface.UUID, Major: ntlmIface.Major, Opnums: opnumsInEcho, Handler: seen.handler()}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return &krbSrv{addr: l.Addr().String(), seen: seen, kt: &krbtest.FakeKDC{Keytab: kt, Realm: krbRealm}}
}

func ntlm0() rpc.Acceptor { return ntlm.Acceptor{Config: srvConfig()} }

func (s *krbSrv) initiator(typ rpc.AuthType, etype int32, user string) rpc.Initiator {
	kdc := *s.kt
	kdc.Etype, kdc.User = etype, user
	cfg := kerberos.ClientConfig{Tickets: &kdc, SPN: krbSPN}
	if typ == rpc.AuthTypeSPNEGO {
		return spnego.Initiator{Kerberos: &cfg}
	}
	return kerberos.Initiator{Config: cfg}
}

var krbProviders = []provider{{"Kerberos", rpc.AuthTypeKerberos}, {"SPNEGO-Kerberos", rpc.AuthTypeSPNEGO}}

// TestKerberosHandshakeLevels: every provider, level and etype; the legs
// on the wire, echo calls of several sizes (fragmented too), the peer the
// handler sees, and the header-signing negotiation.
func TestKerberosHandshakeLevels(t *testing.T) {
	srv := startKrbServer(t)
	for _, p := range krbProviders {
		for _, e := range krbtest.Etypes {
			for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelConnect, rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
				t.Run(p.name+"/"+e.Name+"/"+levelNames[lvl], func(t *testing.T) {
					c, tap := dialTap(t, srv.addr, nil)
					pc := authBind(t, c, ntlmIface, srv.initiator(p.typ, e.ID, "alice"), lvl)
					marker := []byte("PLAINTEXT-MARKER-0123456789")
					for _, n := range []int{0, 400, 9000} {
						in := append(bytes.Clone(marker), stubOf(n, 3)...)
						out, err := c.Call(tctx(t), pc, echoOpnum, nil, in)
						if err != nil || !bytes.Equal(out, in) {
							t.Fatalf("%d-byte echo: %v", n, err)
						}
					}
					legs := "bind,auth3"
					if p.typ == rpc.AuthTypeSPNEGO {
						legs = "bind,alter_context"
					}
					if got := types(splitPDUs(t, bytes.Join(tap.sent(), nil))[:2]); got != legs {
						t.Fatalf("legs %s, want %s", got, legs)
					}
					got := srv.seen.last()
					if got.AuthType != p.typ || got.AuthLevel != lvl || got.Peer.User != "alice" || got.Peer.Domain != krbRealm || !got.Peer.Admin {
						t.Fatalf("handler saw %v/%d %+v", got.AuthType, got.AuthLevel, got.Peer)
					}
					sealed := bytes.Contains(bytes.Join(tap.sent(), nil), marker)
					if sealed == (lvl == rpc.AuthLevelPrivacy) {
						t.Fatalf("marker in the clear at level %d: %v", lvl, sealed)
					}
				})
			}
		}
	}
}

// TestKerberosTamperedPDU: a flipped bit in a signed header byte, the
// stub or the verifier gets fault 5 and the connection closes; the server
// keeps serving.
func TestKerberosTamperedPDU(t *testing.T) {
	srv := startKrbServer(t)
	for _, p := range krbProviders {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
			for _, w := range []struct {
				name string
				off  func(b []byte) int
			}{
				{"stub", func(b []byte) int { return rpc.HeaderSize + 8 + 10 }},
				{"header-opnum", func(b []byte) int { return 22 }},
				{"verifier", func(b []byte) int { return len(b) - 3 }},
			} {
				t.Run(p.name+"/"+levelNames[lvl]+"/"+w.name, func(t *testing.T) {
					c, tap := dialTap(t, srv.addr, nil)
					pc := authBind(t, c, ntlmIface, srv.initiator(p.typ, krbtest.Etypes[0].ID, "alice"), lvl)
					in := stubOf(333, 1)
					if _, err := c.Call(tctx(t), pc, echoOpnum, nil, in); err != nil {
						t.Fatal("first call:", err)
					}
					before := len(srv.seen.all())
					tap.mu.Lock()
					tap.tamper = func(n int, b []byte) {
						if n == 3 {
							b[w.off(b)] ^= 0x40
						}
					}
					tap.mu.Unlock()
					_, err := c.Call(tctx(t), pc, echoOpnum, nil, in)
					wantFault(t, err, rpc.StatusAccessDenied)
					wantClosed(t, c, pc)
					if n := len(srv.seen.all()); n != before {
						t.Fatal("handler ran for a tampered PDU")
					}
				})
			}
		}
	}
	c, _ := dialTap(t, srv.addr, nil)
	pc := authBind(t, c, ntlmIface, srv.initiator(rpc.AuthTypeKerberos, krbtest.Etypes[0].ID, "alice"), rpc.AuthLevelPrivacy)
	if _, err := c.Call(tctx(t), pc, echoOpnum, nil, []byte("still here")); err != nil {
		t.Fatal(err)
	}
}

// TestKerberosRefusedTicket: a ticket the keytab cannot decrypt gets
// bind_nak on both providers; a non-admin principal authenticates but is
// not an administrator.
func TestKerberosRefusedTicket(t *testing.T) {
	srv := startKrbServer(t)
	wrong := &krbtest.FakeKDC{Keytab: krbtest.Keytab(t, krbRealm, "not-the-key", krbSPN), Realm: krbRealm, Etype: krbtest.Etypes[0].ID}
	for _, p := range krbProviders {
		t.Run(p.name, func(t *testing.T) {
			cfg := kerberos.ClientConfig{Tickets: wrong, SPN: krbSPN}
			var in rpc.Initiator = kerberos.Initiator{Config: cfg}
			if p.typ == rpc.AuthTypeSPNEGO {
				in = spnego.Initiator{Kerberos: &cfg}
			}
			c, _ := dialTap(t, srv.addr, nil)
			_, err := c.Bind(tctx(t), ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: in, Level: rpc.AuthLevelPrivacy}})
			var nak *rpc.BindNakError
			if !errors.As(err, &nak) {
				t.Fatalf("wrong key: %v", err)
			}
			c2, _ := dialTap(t, srv.addr, nil)
			pc := authBind(t, c2, ntlmIface, srv.initiator(p.typ, krbtest.Etypes[1].ID, "bob"), rpc.AuthLevelPrivacy)
			if _, err := c2.Call(tctx(t), pc, echoOpnum, nil, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if got := srv.seen.last(); got.Peer.User != "bob" || got.Peer.Admin {
				t.Fatalf("bob seen as %+v", got.Peer)
			}
		})
	}
}

// replayInitiator sends a recorded AP-REQ as its first token.
type replayInitiator struct {
	rpc.Initiator
	first []byte
}

type replayCtx struct {
	rpc.SecurityContext
	first []byte
	sent  bool
}

func (r replayInitiator) NewClientContext() (rpc.SecurityContext, error) {
	sc, err := r.Initiator.NewClientContext()
	return &replayCtx{SecurityContext: sc, first: r.first}, err
}

func (c *replayCtx) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	if !c.sent {
		c.sent = true
		return c.first, false, nil
	}
	return c.SecurityContext.Step(ctx, in)
}

// TestKerberosReplayedAuthenticator: an AP-REQ seen once is refused with
// bind_nak on a second connection (KRB_AP_ERR_REPEAT), and the server
// keeps serving fresh authenticators.
func TestKerberosReplayedAuthenticator(t *testing.T) {
	srv := startKrbServer(t)
	in := srv.initiator(rpc.AuthTypeKerberos, krbtest.Etypes[0].ID, "alice")
	c, tap := dialTap(t, srv.addr, nil)
	authBind(t, c, ntlmIface, in, rpc.AuthLevelPrivacy)
	bind := splitPDUs(t, bytes.Join(tap.sent(), nil))[0]
	c2, _ := dialTap(t, srv.addr, nil)
	_, err := c2.Bind(tctx(t), ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{
		Initiator: replayInitiator{Initiator: in, first: bind.Auth.Token}, Level: rpc.AuthLevelPrivacy}})
	var nak *rpc.BindNakError
	if !errors.As(err, &nak) {
		t.Fatalf("replayed AP-REQ: %v, want bind_nak", err)
	}
	c3, _ := dialTap(t, srv.addr, nil)
	pc := authBind(t, c3, ntlmIface, in, rpc.AuthLevelPrivacy)
	if _, err := c3.Call(tctx(t), pc, echoOpnum, nil, []byte("fresh")); err != nil {
		t.Fatal(err)
	}
}
