package rpc_test

// Real-crypto security tests: the rpc client and server driven by the
// ntlm and spnego packages ([MS-RPCE] 2.2.2.11, 3.3.1.5.2; [MS-NLMP] 3.4;
// [MS-SPNG] 3.2.5.1: three legs with auth3 for NTLM, an even number for
// SPNEGO, faults 5 and bind_naks for refusals), in-process
// over loopback TCP.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// Test accounts. alice is an administrator, bob is not.
const (
	ntlmDomain   = "EXAMPLE"
	alicePass    = "Al1ce-Pa55w0rd!"
	bobPass      = "b0b-secret"
	echoOpnum    = 0
	ntlmSigSize  = 16
	ntlmSrvNB    = "IISSRV"
	ntlmSrvDNS   = "iissrv.example.test"
	opnumsInEcho = 4
)

var (
	ntlmIface  = rpc.SyntaxID{UUID: ndr.MustGUID("3c1a0f6e-7b7d-4b4e-9d52-5a0e2b9c1f01"), Major: 1}
	ntlmIface2 = rpc.SyntaxID{UUID: ndr.MustGUID("3c1a0f6e-7b7d-4b4e-9d52-5a0e2b9c1f02"), Major: 1}
)

// testCreds is the acceptors' account database.
var testCreds = ntlm.CredentialFunc(func(user, domain string) (ntlm.Account, bool) {
	switch strings.ToLower(user) {
	case "alice":
		return ntlm.Account{NTHash: ntlm.NTHash(alicePass), Admin: true}, true
	case "bob":
		return ntlm.Account{NTHash: ntlm.NTHash(bobPass)}, true
	}
	return ntlm.Account{}, false
})

func srvConfig() ntlm.ServerConfig {
	return ntlm.ServerConfig{NetBIOSComputer: ntlmSrvNB, NetBIOSDomain: ntlmDomain,
		DNSComputer: ntlmSrvDNS, DNSDomain: "example.test", Creds: testCreds}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// provider names an initiator family.
type provider struct {
	name string
	typ  rpc.AuthType
}

var providers = []provider{
	{"NTLM", rpc.AuthTypeNTLM},
	{"SPNEGO", rpc.AuthTypeSPNEGO},
}

func (p provider) initiator(user, pass string) rpc.Initiator {
	cfg := ntlm.ClientConfig{User: user, Domain: ntlmDomain, Password: pass, Workstation: "CLIENT1"}
	if p.typ == rpc.AuthTypeSPNEGO {
		return spnego.Initiator{Config: cfg}
	}
	return ntlm.Initiator{Config: cfg}
}

// seenCalls records what the echo handler saw.
type seenCalls struct {
	mu    sync.Mutex
	calls []rpc.Call
}

func (s *seenCalls) last() rpc.Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		return rpc.Call{}
	}
	return s.calls[len(s.calls)-1]
}

func (s *seenCalls) all() []rpc.Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rpc.Call(nil), s.calls...)
}

// echoHandler returns the stub and records the call (without its stub).
func (s *seenCalls) handler() rpc.Handler {
	return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) ([]byte, error) {
		out := bytes.Clone(c.Stub)
		cc := *c
		cc.Stub = nil
		s.mu.Lock()
		s.calls = append(s.calls, cc)
		s.mu.Unlock()
		return out, nil
	})
}

type authSrv struct {
	addr string
	seen *seenCalls
}

// startAuthServer serves the echo interfaces with real NTLM and SPNEGO
// acceptors, requiring minLevel.
func startAuthServer(t testing.TB, minLevel rpc.AuthLevel, maxFrag uint16) *authSrv {
	t.Helper()
	seen := &seenCalls{}
	s := rpc.NewServer(&rpc.ServerConfig{
		Acceptors:   []rpc.Acceptor{ntlm.Acceptor{Config: srvConfig()}, spnego.Acceptor{Config: srvConfig()}},
		MinLevel:    minLevel,
		MaxFragment: maxFrag,
		Logger:      quiet(),
		Throttle:    fastThrottle(),
	})
	for _, ifc := range []rpc.SyntaxID{ntlmIface, ntlmIface2} {
		if err := s.Register(rpc.Interface{UUID: ifc.UUID, Major: ifc.Major, Opnums: opnumsInEcho, Handler: seen.handler()}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, rpc.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return &authSrv{addr: l.Addr().String(), seen: seen}
}

// tapConn records the PDUs a client writes and reads (one Write per PDU,
// as rpc's transport does) and can tamper with a written PDU.
type tapConn struct {
	net.Conn
	mu      sync.Mutex
	written [][]byte
	rbuf    bytes.Buffer
	// tamper, when set, may modify the n-th written PDU (0-based) in place.
	tamper func(n int, pdu []byte)
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	p := bytes.Clone(b)
	if c.tamper != nil {
		c.tamper(len(c.written), p)
	}
	c.written = append(c.written, bytes.Clone(p))
	c.mu.Unlock()
	if _, err := c.Conn.Write(p); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *tapConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.rbuf.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tapConn) sent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.written...)
}

// received splits what the client read into PDUs.
func (c *tapConn) received(t testing.TB) []*rpc.PDU {
	c.mu.Lock()
	b := bytes.Clone(c.rbuf.Bytes())
	c.mu.Unlock()
	return splitPDUs(t, b)
}

func splitPDUs(t testing.TB, b []byte) []*rpc.PDU {
	t.Helper()
	var out []*rpc.PDU
	for len(b) > 0 {
		h, err := rpc.ParseHeader(b)
		if err != nil || int(h.FragLength) > len(b) {
			t.Fatalf("stream framing: %v (%d bytes left)", err, len(b))
		}
		p, err := rpc.Unmarshal(b[:h.FragLength])
		if err != nil {
			t.Fatalf("unmarshal %v: %v", h.Type, err)
		}
		out = append(out, p)
		b = b[h.FragLength:]
	}
	return out
}

func mustUnmarshal(t testing.TB, b []byte) *rpc.PDU {
	t.Helper()
	p, err := rpc.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func types(ps []*rpc.PDU) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Type.String())
	}
	return strings.Join(s, ",")
}

func dialTap(t testing.TB, addr string, cfg *rpc.ClientConfig) (*rpc.Conn, *tapConn) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tc := &tapConn{Conn: nc}
	c := rpc.NewConn(tc, cfg)
	t.Cleanup(func() { c.Close() })
	return c, tc
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func stubOf(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed ^ byte(i>>8)
	}
	return b
}

func authBind(t testing.TB, c *rpc.Conn, ifc rpc.SyntaxID, in rpc.Initiator, lvl rpc.AuthLevel) *rpc.PresContext {
	t.Helper()
	pc, err := c.Bind(tctx(t), ifc, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: in, Level: lvl}})
	if err != nil {
		t.Fatalf("bind at level %d: %v", lvl, err)
	}
	return pc
}

func wantFault(t testing.TB, err error, status uint32) {
	t.Helper()
	var fe *rpc.FaultError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want fault 0x%x", err, status)
	}
	if fe.Status != status {
		t.Fatalf("fault 0x%x, want 0x%x", fe.Status, status)
	}
	if fe.DidNotExecute && status == rpc.StatusAccessDenied {
		t.Fatalf("fault 5 must not set DID_NOT_EXECUTE")
	}
}

// wantClosed asserts the server closed the connection: a further call
// fails without a response.
func wantClosed(t testing.TB, c *rpc.Conn, pc *rpc.PresContext) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Call(ctx, pc, echoOpnum, nil, []byte("after"))
	var fe *rpc.FaultError
	if err == nil || errors.As(err, &fe) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("connection still served after the failure: %v", err)
	}
}

// wantServing asserts the server still serves a fresh, good client.
func wantServing(t testing.TB, addr string, p provider, lvl rpc.AuthLevel) {
	t.Helper()
	c, _ := dialTap(t, addr, nil)
	pc := authBind(t, c, ntlmIface, p.initiator("alice", alicePass), lvl)
	if out, err := c.Call(tctx(t), pc, echoOpnum, nil, []byte("still here")); err != nil || string(out) != "still here" {
		t.Fatalf("server no longer serves: %q %v", out, err)
	}
}

var levelNames = map[rpc.AuthLevel]string{rpc.AuthLevelConnect: "connect", rpc.AuthLevelIntegrity: "integrity", rpc.AuthLevelPrivacy: "privacy"}

// TestNTLMHandshakeLevels runs the real handshakes at each level: NTLM in
// 3 legs (bind, bind_ack, auth3) and SPNEGO in 4 (bind, bind_ack, alter,
// alter_resp), then an echo call; the handler must see the peer and level.
func TestNTLMHandshakeLevels(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelConnect, 0)
	for _, p := range providers {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelConnect, rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
			for _, who := range []struct {
				user, pass string
				admin      bool
			}{{"alice", alicePass, true}, {"bob", bobPass, false}} {
				t.Run(p.name+"/"+levelNames[lvl]+"/"+who.user, func(t *testing.T) {
					c, tap := dialTap(t, srv.addr, nil)
					pc := authBind(t, c, ntlmIface, p.initiator(who.user, who.pass), lvl)
					if pc.Auth == nil || pc.Auth.Level() != lvl || pc.Auth.Type() != p.typ {
						t.Fatalf("auth context %+v", pc.Auth)
					}
					marker := []byte("PLAINTEXT-MARKER-0123456789")
					in := append(bytes.Clone(marker), stubOf(300, 7)...)
					out, err := c.Call(tctx(t), pc, echoOpnum, nil, in)
					if err != nil || !bytes.Equal(out, in) {
						t.Fatalf("echo: %v (%d bytes)", err, len(out))
					}
					got := srv.seen.last()
					if got.Peer.User != who.user || got.Peer.Domain != ntlmDomain || got.Peer.Admin != who.admin ||
						got.AuthLevel != lvl || got.AuthType != p.typ || got.Security == nil {
						t.Fatalf("handler saw peer %+v level %d type %d", got.Peer, got.AuthLevel, got.AuthType)
					}

					sent := tap.sent()
					var sentPDUs []*rpc.PDU
					for _, b := range sent {
						sentPDUs = append(sentPDUs, mustUnmarshal(t, b))
					}
					recv := tap.received(t)
					wantSent, wantRecv := "bind,auth3,request", "bind_ack,response"
					if p.typ == rpc.AuthTypeSPNEGO {
						wantSent, wantRecv = "bind,alter_context,request", "bind_ack,alter_context_resp,response"
					}
					if gs, gr := types(sentPDUs), types(recv); !strings.Contains(gs, wantSent) || !strings.Contains(gr, wantRecv) {
						t.Fatalf("sent %s, received %s; want %s / %s", gs, gr, wantSent, wantRecv)
					}
					// Every handshake PDU carries a token of our type, level and context 0.
					legs := []*rpc.PDU{sentPDUs[0], recv[0], sentPDUs[1]}
					if p.typ == rpc.AuthTypeSPNEGO {
						legs = append(legs, recv[1])
					}
					for _, q := range legs {
						if q.Auth == nil || q.Auth.Type != p.typ || q.Auth.Level != lvl || q.Auth.ContextID != pc.Auth.ID() || len(q.Auth.Token) == 0 {
							t.Fatalf("%v verifier %+v", q.Type, q.Auth)
						}
					}
					// NTLM messages in the raw legs: NEGOTIATE(1), CHALLENGE(2), AUTHENTICATE(3).
					if p.typ == rpc.AuthTypeNTLM {
						for i, q := range []*rpc.PDU{sentPDUs[0], recv[0], sentPDUs[1]} {
							tok := q.Auth.Token
							if !bytes.HasPrefix(tok, []byte("NTLMSSP\x00")) || binary.LittleEndian.Uint32(tok[8:]) != uint32(i+1) {
								t.Fatalf("leg %d token %x", i+1, tok[:min(len(tok), 12)])
							}
						}
					}
					// Header signing is offered and echoed at integrity and above.
					if hs := sentPDUs[0].HasFlag(rpc.FlagSupportHeaderSign); hs != (lvl >= rpc.AuthLevelIntegrity) {
						t.Fatalf("bind SUPPORT_HEADER_SIGN %v at level %d", hs, lvl)
					}
					if lvl >= rpc.AuthLevelIntegrity && !recv[0].HasFlag(rpc.FlagSupportHeaderSign) {
						t.Fatal("bind_ack does not echo SUPPORT_HEADER_SIGN")
					}
					req, resp := sentPDUs[2], recv[len(recv)-1]
					for _, q := range []*rpc.PDU{req, resp} {
						switch lvl {
						case rpc.AuthLevelConnect:
							if q.Auth != nil && q.Auth.Token[0] != 1 {
								t.Fatalf("connect-level %v verifier %+v", q.Type, q.Auth)
							}
						default:
							if q.Auth == nil || len(q.Auth.Token) != ntlmSigSize || binary.LittleEndian.Uint32(q.Auth.Token) != 1 {
								t.Fatalf("%v verifier %+v", q.Type, q.Auth)
							}
							// NTLM sequence numbers: 0 for the first request
							// and response; SPNEGO consumed 0 for mechListMIC.
							seq := binary.LittleEndian.Uint32(q.Auth.Token[12:])
							wantSeq := uint32(0)
							if p.typ == rpc.AuthTypeSPNEGO {
								wantSeq = 1
							}
							if seq != wantSeq {
								t.Fatalf("%v seq %d, want %d", q.Type, seq, wantSeq)
							}
						}
					}
					tap.mu.Lock()
					leaked := bytes.Contains(bytes.Join(sent, nil), marker) || bytes.Contains(tap.rbuf.Bytes(), marker)
					tap.mu.Unlock()
					if leaked != (lvl != rpc.AuthLevelPrivacy) {
						t.Fatalf("plaintext visible on the wire: %v at level %d", leaked, lvl)
					}
				})
			}
		}
	}
}

// TestNTLMFragmentedSealed: a 20 KiB stub at max fragment 2048, sealed,
// each fragment with its own verifier and the next sequence number.
func TestNTLMFragmentedSealed(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelIntegrity, 2048)
	for _, p := range providers {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
			t.Run(p.name+"/"+levelNames[lvl], func(t *testing.T) {
				c, tap := dialTap(t, srv.addr, &rpc.ClientConfig{MaxFragment: 2048})
				pc := authBind(t, c, ntlmIface, p.initiator("alice", alicePass), lvl)
				if x, r := c.MaxFragments(); x != 2048 || r != 2048 {
					t.Fatalf("negotiated fragments %d/%d", x, r)
				}
				for round := range 3 {
					in := stubOf(20<<10, byte(round))
					out, err := c.Call(tctx(t), pc, echoOpnum, nil, in)
					if err != nil || !bytes.Equal(out, in) {
						t.Fatalf("round %d: %v (%d bytes)", round, err, len(out))
					}
				}
				check := func(dir string, ps []*rpc.PDU, ptype rpc.PType) {
					t.Helper()
					n := 0
					wantSeq := uint32(0)
					if p.typ == rpc.AuthTypeSPNEGO {
						wantSeq = 1
					}
					for _, q := range ps {
						if q.Type != ptype {
							continue
						}
						n++
						if q.FragLength > 2048 {
							t.Fatalf("%s fragment of %d bytes", dir, q.FragLength)
						}
						if q.Auth == nil || q.Auth.Level != lvl {
							t.Fatalf("%s fragment without verifier", dir)
						}
						if seq := binary.LittleEndian.Uint32(q.Auth.Token[12:]); seq != wantSeq {
							t.Fatalf("%s fragment %d seq %d, want %d", dir, n, seq, wantSeq)
						}
						wantSeq++
					}
					if n < 30 {
						t.Fatalf("%s: only %d fragments", dir, n)
					}
				}
				var sent []*rpc.PDU
				for _, b := range tap.sent() {
					sent = append(sent, mustUnmarshal(t, b))
				}
				check("request", sent, rpc.PTypeRequest)
				check("response", tap.received(t), rpc.PTypeResponse)
			})
		}
	}
}

// TestNTLMSeveralContexts: several security contexts on one connection,
// the later ones opened by alter_context with a new handshake under a new
// auth_context_id (as impacket's alter_ctx does), then calls interleaved.
func TestNTLMSeveralContexts(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelIntegrity, 0)
	c, tap := dialTap(t, srv.addr, nil)
	ntlmP, spnegoP := providers[0], providers[1]
	pc0 := authBind(t, c, ntlmIface, ntlmP.initiator("alice", alicePass), rpc.AuthLevelIntegrity)
	pc1, err := c.AlterContext(tctx(t), ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: spnegoP.initiator("bob", bobPass), Level: rpc.AuthLevelPrivacy}})
	if err != nil {
		t.Fatal("alter with SPNEGO:", err)
	}
	pc2, err := c.AlterContext(tctx(t), ntlmIface2, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: ntlmP.initiator("bob", bobPass), Level: rpc.AuthLevelPrivacy}})
	if err != nil {
		t.Fatal("alter with NTLM:", err)
	}
	// A presentation context reusing context 0 (alter without verifier).
	pc3, err := c.AlterContext(tctx(t), ntlmIface2, &rpc.BindOptions{AuthContext: pc0.Auth})
	if err != nil {
		t.Fatal("alter reusing a context:", err)
	}
	ids := map[uint32]bool{}
	for _, pc := range []*rpc.PresContext{pc0, pc1, pc2} {
		ids[pc.Auth.ID()] = true
	}
	if len(ids) != 3 {
		t.Fatalf("auth context ids not distinct: %v", ids)
	}
	type want struct {
		pc    *rpc.PresContext
		user  string
		level rpc.AuthLevel
		typ   rpc.AuthType
	}
	seq := []want{
		{pc0, "alice", rpc.AuthLevelIntegrity, rpc.AuthTypeNTLM},
		{pc1, "bob", rpc.AuthLevelPrivacy, rpc.AuthTypeSPNEGO},
		{pc2, "bob", rpc.AuthLevelPrivacy, rpc.AuthTypeNTLM},
		{pc3, "alice", rpc.AuthLevelIntegrity, rpc.AuthTypeNTLM},
		{pc1, "bob", rpc.AuthLevelPrivacy, rpc.AuthTypeSPNEGO},
		{pc0, "alice", rpc.AuthLevelIntegrity, rpc.AuthTypeNTLM},
		{pc2, "bob", rpc.AuthLevelPrivacy, rpc.AuthTypeNTLM},
	}
	for i, w := range seq {
		in := stubOf(5000, byte(i))
		out, err := c.Call(tctx(t), w.pc, echoOpnum, nil, in)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("call %d: %v", i, err)
		}
		got := srv.seen.last()
		if got.AuthContextID != w.pc.Auth.ID() || got.Peer.User != w.user || got.AuthLevel != w.level || got.AuthType != w.typ ||
			got.Interface != w.pc.Interface {
			t.Fatalf("call %d: handler saw ctx %d %v level %d type %d iface %v", i, got.AuthContextID, got.Peer, got.AuthLevel, got.AuthType, got.Interface.UUID)
		}
	}
	var sent []*rpc.PDU
	for _, b := range tap.sent() {
		sent = append(sent, mustUnmarshal(t, b))
	}
	// bind, auth3 | alter, alter (SPNEGO legs 1, 3) | alter, auth3 | alter | requests.
	wantPDUs := "bind,auth3,alter_context,alter_context,alter_context,auth3,alter_context"
	if got := types(sent); !strings.HasPrefix(got, wantPDUs) {
		t.Fatalf("client PDUs %s, want prefix %s", got, wantPDUs)
	}
}

// TestNTLMBadCredentials: a wrong password or unknown user is refused:
// NTLM with fault 5 on the first request after auth3 (auth3 itself is
// never answered), SPNEGO with fault 5 on the alter_context that carries
// the AUTHENTICATE; the server keeps serving other clients.
func TestNTLMBadCredentials(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelIntegrity, 0)
	for _, p := range providers {
		for _, bad := range []struct{ name, user, pass string }{
			{"wrong-password", "alice", "not-the-password"},
			{"unknown-user", "mallory", alicePass},
			{"empty-password", "bob", ""},
		} {
			t.Run(p.name+"/"+bad.name, func(t *testing.T) {
				before := len(srv.seen.all())
				c, tap := dialTap(t, srv.addr, nil)
				pc, err := c.Bind(tctx(t), ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: p.initiator(bad.user, bad.pass), Level: rpc.AuthLevelPrivacy}})
				switch p.typ {
				case rpc.AuthTypeNTLM:
					if err != nil {
						t.Fatalf("NTLM bind must succeed (auth3 is unanswered): %v", err)
					}
					_, err = c.Call(tctx(t), pc, echoOpnum, nil, []byte("secret"))
					wantFault(t, err, rpc.StatusAccessDenied)
					wantClosed(t, c, pc)
				case rpc.AuthTypeSPNEGO:
					if err == nil {
						t.Fatal("SPNEGO bind with bad credentials succeeded")
					}
					wantFault(t, err, rpc.StatusAccessDenied)
					recv := tap.received(t)
					if got := types(recv); got != "bind_ack,fault" {
						t.Fatalf("server answered %s", got)
					}
				}
				if n := len(srv.seen.all()); n != before {
					t.Fatalf("handler ran %d times for a refused client", n-before)
				}
				wantServing(t, srv.addr, p, rpc.AuthLevelPrivacy)
			})
		}
	}
}

// TestNTLMTamperedPDU flips one byte of a protected request on the wire:
// fault 5 and the connection closes; other clients are unaffected.
func TestNTLMTamperedPDU(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelIntegrity, 0)
	// Offsets into the second request, the 4th PDU the client writes
	// (bind, auth3 or alter, request, request).
	where := []struct {
		name string
		off  func(pdu []byte) int
	}{
		{"stub", func(b []byte) int { return rpc.HeaderSize + 8 + 10 }},
		{"header-opnum", func(b []byte) int { return 22 }},
		{"call-id", func(b []byte) int { return 12 }},
		{"sec-trailer-pad", func(b []byte) int { return len(b) - ntlmSigSize - rpc.SecTrailerSize - 1 }},
		{"sec-trailer-reserved", func(b []byte) int { return len(b) - ntlmSigSize - 5 }},
		{"signature-checksum", func(b []byte) int { return len(b) - ntlmSigSize + 5 }},
		{"signature-seq", func(b []byte) int { return len(b) - 2 }},
		{"signature-version", func(b []byte) int { return len(b) - ntlmSigSize }},
	}
	for _, p := range providers {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
			for _, w := range where {
				t.Run(p.name+"/"+levelNames[lvl]+"/"+w.name, func(t *testing.T) {
					c, tap := dialTap(t, srv.addr, nil)
					pc := authBind(t, c, ntlmIface, p.initiator("alice", alicePass), lvl)
					in := stubOf(333, 1) // pad 3 bytes to 16
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
					if w.name == "call-id" {
						// The fault names the call_id the server read.
						if !errors.Is(err, rpc.ErrProtocol) {
							t.Fatalf("got %v", err)
						}
					} else {
						wantFault(t, err, rpc.StatusAccessDenied)
					}
					recv := tap.received(t)
					if last := recv[len(recv)-1]; last.Type != rpc.PTypeFault || last.Body.(*rpc.Fault).Status != rpc.StatusAccessDenied {
						t.Fatalf("server answered %s", types(recv))
					}
					wantClosed(t, c, pc)
					if n := len(srv.seen.all()); n != before {
						t.Fatal("handler ran for a tampered PDU")
					}
				})
			}
		}
		wantServing(t, srv.addr, p, rpc.AuthLevelPrivacy)
	}
}

// TestNTLMTamperedResponse: the client refuses a response whose byte was
// flipped on the way back.
func TestNTLMTamperedResponse(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelIntegrity, 0)
	for _, p := range providers {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
			t.Run(p.name+"/"+levelNames[lvl], func(t *testing.T) {
				nc, err := net.Dial("tcp", srv.addr)
				if err != nil {
					t.Fatal(err)
				}
				fc := &flipReader{Conn: nc}
				c := rpc.NewConn(fc, nil)
				defer c.Close()
				pc := authBind(t, c, ntlmIface, p.initiator("alice", alicePass), lvl)
				fc.arm.Store(true)
				_, err = c.Call(tctx(t), pc, echoOpnum, nil, stubOf(100, 3))
				if !errors.Is(err, rpc.ErrAuth) {
					t.Fatalf("tampered response accepted: %v", err)
				}
			})
		}
	}
}

// flipReader flips the 30th byte read once armed (inside the response
// stub, which starts at 24).
type flipReader struct {
	net.Conn
	arm  atomic.Bool
	seen int
}

func (f *flipReader) Read(b []byte) (int, error) {
	n, err := f.Conn.Read(b)
	if f.arm.Load() {
		for i := range n {
			if f.seen == 30 {
				b[i] ^= 1
			}
			f.seen++
		}
	}
	return n, err
}

// TestNTLMReplayedPDU re-sends a protected request verbatim on the same
// connection after it was answered: its sequence number is stale, so the
// server answers fault 5 and closes.
func TestNTLMReplayedPDU(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelIntegrity, 0)
	for _, p := range providers {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
			t.Run(p.name+"/"+levelNames[lvl], func(t *testing.T) {
				c, tap := dialTap(t, srv.addr, nil)
				pc := authBind(t, c, ntlmIface, p.initiator("alice", alicePass), lvl)
				for i := range 2 {
					if _, err := c.Call(tctx(t), pc, echoOpnum, nil, stubOf(64, byte(i))); err != nil {
						t.Fatal(err)
					}
				}
				sent := tap.sent()
				replay := sent[len(sent)-2] // the first request
				before := len(srv.seen.all())
				tap.Conn.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := tap.Conn.Write(replay); err != nil {
					t.Fatal(err)
				}
				rest, _ := io.ReadAll(tap.Conn) // fault, then EOF when the server closes
				ps := splitPDUs(t, rest)
				if len(ps) != 1 || ps[0].Type != rpc.PTypeFault || ps[0].Body.(*rpc.Fault).Status != rpc.StatusAccessDenied {
					t.Fatalf("replay answered with %s", types(ps))
				}
				if n := len(srv.seen.all()); n != before {
					t.Fatal("handler ran for a replayed PDU")
				}
			})
		}
	}
	// A request replayed on a new connection names no context there.
	t.Run("other-connection", func(t *testing.T) {
		c, tap := dialTap(t, srv.addr, nil)
		pc := authBind(t, c, ntlmIface, providers[0].initiator("alice", alicePass), rpc.AuthLevelPrivacy)
		if _, err := c.Call(tctx(t), pc, echoOpnum, nil, []byte("x")); err != nil {
			t.Fatal(err)
		}
		sent := tap.sent()
		req := sent[len(sent)-1]
		c2, tap2 := dialTap(t, srv.addr, nil)
		if _, err := c2.Bind(tctx(t), ntlmIface, nil); err != nil {
			t.Fatal(err)
		}
		tap2.Conn.SetDeadline(time.Now().Add(10 * time.Second))
		tap2.Conn.Write(req)
		rest, _ := io.ReadAll(tap2.Conn)
		ps := splitPDUs(t, rest)
		if len(ps) != 1 || ps[0].Type != rpc.PTypeFault || ps[0].Body.(*rpc.Fault).Status != rpc.StatusAccessDenied {
			t.Fatalf("replay on another connection answered with %s", types(ps))
		}
	})
}

// TestNTLMIntegrityAgainstPrivacyServer: the server requires privacy; a
// client that authenticated at integrity (or connect) is refused on its
// first call with fault 5.
func TestNTLMIntegrityAgainstPrivacyServer(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelPrivacy, 0)
	for _, p := range providers {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelConnect, rpc.AuthLevelIntegrity} {
			t.Run(p.name+"/"+levelNames[lvl], func(t *testing.T) {
				c, _ := dialTap(t, srv.addr, nil)
				pc := authBind(t, c, ntlmIface, p.initiator("alice", alicePass), lvl)
				before := len(srv.seen.all())
				_, err := c.Call(tctx(t), pc, echoOpnum, nil, []byte("x"))
				wantFault(t, err, rpc.StatusAccessDenied)
				wantClosed(t, c, pc)
				if len(srv.seen.all()) != before {
					t.Fatal("handler ran below the required level")
				}
			})
		}
		// Unauthenticated too.
		c, _ := dialTap(t, srv.addr, nil)
		pc, err := c.Bind(tctx(t), ntlmIface, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Call(tctx(t), pc, echoOpnum, nil, []byte("x"))
		wantFault(t, err, rpc.StatusAccessDenied)
		wantServing(t, srv.addr, p, rpc.AuthLevelPrivacy)
	}
}

// TestNTLMDowngradeVerifier: a request whose sec_trailer claims a lower
// level than the context's (integrity on a privacy context) is refused:
// the level is part of the context, not chosen per PDU.
func TestNTLMDowngradeVerifier(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelIntegrity, 0)
	c, tap := dialTap(t, srv.addr, nil)
	pc := authBind(t, c, ntlmIface, providers[0].initiator("alice", alicePass), rpc.AuthLevelPrivacy)
	tap.mu.Lock()
	tap.tamper = func(n int, b []byte) {
		if n == 2 {
			b[len(b)-ntlmSigSize-rpc.SecTrailerSize+1] = byte(rpc.AuthLevelIntegrity)
		}
	}
	tap.mu.Unlock()
	_, err := c.Call(tctx(t), pc, echoOpnum, nil, []byte("x"))
	wantFault(t, err, rpc.StatusAccessDenied)
	wantClosed(t, c, pc)
}
