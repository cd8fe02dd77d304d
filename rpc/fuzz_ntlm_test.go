package rpc_test

// FuzzServerAuthLegs feeds arbitrary tokens into the server's handshake
// legs (bind, auth3, alter_context) and request verifiers, through the
// real NTLM and SPNEGO acceptors, over net.Pipe. Invariants: no panic, the
// server answers or closes (never hangs), and no call ever reaches the
// handler, since nothing the fuzzer sends can authenticate.

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// pipeListener hands net.Pipe server ends to rpc.Server.Serve.
type pipeListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

type pipeServer struct {
	l     *pipeListener
	calls atomic.Int32
}

func (s *pipeServer) dial() net.Conn {
	c, sc := net.Pipe()
	s.l.ch <- sc
	return c
}

// startPipeServer serves the echo interface at privacy with the real
// acceptors; the handler only counts calls.
func startPipeServer(tb testing.TB) *pipeServer {
	ps := &pipeServer{l: &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}}
	s := rpc.NewServer(&rpc.ServerConfig{
		Acceptors:        []rpc.Acceptor{ntlm.Acceptor{Config: srvConfig()}, spnego.Acceptor{Config: srvConfig()}},
		MinLevel:         rpc.AuthLevelPrivacy,
		HandshakeTimeout: 3 * time.Second,
		IdleTimeout:      3 * time.Second,
		Logger:           quiet(),
		Throttle:         fastThrottle(),
	})
	h := rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) ([]byte, error) {
		ps.calls.Add(1)
		return c.Stub, nil
	})
	if err := s.Register(rpc.Interface{UUID: ntlmIface.UUID, Major: 1, Handler: h}); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ps.l) }()
	tb.Cleanup(func() {
		s.Close()
		<-done
	})
	return ps
}

// Fuzz modes (mode>>1 % 4); mode&1 selects SPNEGO.
const (
	fuzzBindToken   = iota // bind carrying tok
	fuzzThirdLeg           // real leg 1, then auth3 (NTLM) or alter (SPNEGO) carrying tok
	fuzzRequestSig         // full real handshake, then a request whose verifier is tok
	fuzzSecondAlter        // full real handshake, then an alter carrying tok for a new or the same context
)

func FuzzServerAuthLegs(f *testing.F) {
	seeds := realTokens(f)
	for mode := range 8 {
		for _, tok := range seeds {
			f.Add(uint8(mode), uint8(rpc.AuthLevelPrivacy), tok)
		}
		f.Add(uint8(mode), uint8(rpc.AuthLevelIntegrity), []byte{})
		f.Add(uint8(mode), uint8(7), []byte("NTLMSSP\x00\x03\x00\x00\x00"))
	}
	srv := startPipeServer(f)
	f.Fuzz(func(t *testing.T, mode, level uint8, tok []byte) {
		runAuthLegs(t, srv, mode, level, tok)
	})
}

// realTokens returns the tokens of a real NTLM and a real SPNEGO
// handshake (both directions) as seeds.
func realTokens(tb testing.TB) [][]byte {
	var out [][]byte
	for _, spn := range []bool{false, true} {
		cli, srvCtx := newContexts(tb, spn, "alice", alicePass)
		ctx := context.Background()
		var in []byte
		for range 4 {
			tok, done, err := cli.Step(ctx, in)
			if err != nil {
				tb.Fatal(err)
			}
			if tok != nil {
				out = append(out, tok)
			}
			if done && tok == nil {
				break
			}
			resp, sdone, err := srvCtx.Step(ctx, tok)
			if err != nil {
				tb.Fatal(err)
			}
			if resp != nil {
				out = append(out, resp)
			}
			if sdone && done {
				break
			}
			in = resp
		}
	}
	return out
}

func newContexts(tb testing.TB, spn bool, user, pass string) (rpc.SecurityContext, rpc.SecurityContext) {
	ccfg := ntlm.ClientConfig{User: user, Domain: ntlmDomain, Password: pass}
	var cli, srv rpc.SecurityContext
	var err error
	if spn {
		cli, err = spnego.Initiator{Config: ccfg}.NewClientContext()
		if err == nil {
			srv, err = spnego.Acceptor{Config: srvConfig()}.NewServerContext()
		}
	} else {
		cli, err = ntlm.Initiator{Config: ccfg}.NewClientContext()
		if err == nil {
			srv, err = ntlm.Acceptor{Config: srvConfig()}.NewServerContext()
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	return cli, srv
}

// rawPeer speaks PDUs over one pipe. Writes go through a goroutine so
// that, as with a kernel socket buffer, the server's answer to one PDU
// never deadlocks against our next write (net.Pipe is unbuffered).
type rawPeer struct {
	t      testing.TB
	nc     net.Conn
	callID uint32
	closed bool
	got    []*rpc.PDU
	wq     chan []byte
	wdone  chan struct{}
}

func newRawPeer(t testing.TB, nc net.Conn) *rawPeer {
	p := &rawPeer{t: t, nc: nc, wq: make(chan []byte, 16), wdone: make(chan struct{})}
	go func() {
		defer close(p.wdone)
		for b := range p.wq {
			if _, err := nc.Write(b); err != nil {
				for range p.wq { // the server closed; drop the rest
				}
				return
			}
		}
	}()
	return p
}

// finish stops the writer and closes the pipe.
func (p *rawPeer) finish() {
	close(p.wq)
	p.nc.Close()
	<-p.wdone
}

func (p *rawPeer) send(pdu *rpc.PDU) {
	if p.closed {
		return
	}
	p.callID++
	pdu.Version, pdu.CallID = 5, p.callID
	pdu.Flags |= rpc.FlagFirstFrag | rpc.FlagLastFrag
	b, err := pdu.Marshal()
	if err != nil {
		p.t.Fatalf("marshal %v: %v", pdu.Type, err)
	}
	p.wq <- b
}

// recv reads one PDU; nil when the server closed. A timeout fails the test.
func (p *rawPeer) recv() *rpc.PDU {
	if p.closed {
		return nil
	}
	p.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [rpc.HeaderSize]byte
	if _, err := io.ReadFull(p.nc, hdr[:]); err != nil {
		p.fail(err)
		return nil
	}
	h, err := rpc.ParseHeader(hdr[:])
	if err != nil {
		p.t.Fatalf("server sent a bad header: %v", err)
	}
	b := make([]byte, h.FragLength)
	copy(b, hdr[:])
	if _, err := io.ReadFull(p.nc, b[rpc.HeaderSize:]); err != nil {
		p.fail(err)
		return nil
	}
	pdu, err := rpc.Unmarshal(b)
	if err != nil {
		p.t.Fatalf("server sent a bad PDU: %v", err)
	}
	if pdu.Type == rpc.PTypeResponse {
		p.t.Fatal("a call reached the handler")
	}
	p.got = append(p.got, pdu)
	return pdu
}

func (p *rawPeer) fail(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		p.t.Fatalf("server neither answered nor closed (after %s)", types(p.got))
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
		p.t.Fatalf("read: %v", err)
	}
	p.closed = true
}

func bindBody() *rpc.Bind {
	return &rpc.Bind{MaxXmitFrag: 5840, MaxRecvFrag: 5840, Contexts: []rpc.ContextElement{
		{ContextID: 0, Abstract: ntlmIface, Transfer: []rpc.SyntaxID{rpc.SyntaxNDR20}}}}
}

func runAuthLegs(t *testing.T, srv *pipeServer, mode, level uint8, tok []byte) {
	if len(tok) > 16<<10 {
		tok = tok[:16<<10] // auth_length is a u16; fragments stay below 64 KiB
	}
	p := newRawPeer(t, srv.dial())
	defer p.finish()
	typ := rpc.AuthTypeNTLM
	if mode&1 == 1 {
		typ = rpc.AuthTypeSPNEGO
	}
	lvl := rpc.AuthLevel(level)
	verifier := func(id uint32, tk []byte) *rpc.Verifier {
		return &rpc.Verifier{Type: typ, Level: lvl, ContextID: id, Token: tk}
	}
	before := srv.calls.Load()
	ctx := context.Background()
	start := time.Now()
	defer func() {
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("exchange took %v (server waited for a timeout?) after %s", d, types(p.got))
		}
	}()

	// handshake runs the real legs up to (not including) the given step:
	// 1 = after bind_ack, 2 = complete.
	handshake := func(upto int) bool {
		cli, _ := newContexts(t, typ == rpc.AuthTypeSPNEGO, "alice", alicePass)
		t1, _, err := cli.Step(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeBind}, Body: bindBody(), Auth: verifier(0, t1)})
		ack := p.recv()
		if ack == nil || ack.Type != rpc.PTypeBindAck || ack.Auth == nil {
			return false // e.g. a fuzzed level the server refuses
		}
		if upto == 1 {
			return true
		}
		t3, done, err := cli.Step(ctx, ack.Auth.Token)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeAuth3}, Body: &rpc.Auth3{}, Auth: verifier(0, t3)})
			return true
		}
		p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeAlterContext}, Body: bindBody(), Auth: verifier(0, t3)})
		resp := p.recv()
		return resp != nil && resp.Type == rpc.PTypeAlterContextResp
	}

	switch (mode >> 1) % 4 {
	case fuzzBindToken:
		p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeBind}, Body: bindBody(), Auth: verifier(0, tok)})
		p.recv()
	case fuzzThirdLeg:
		if handshake(1) {
			if typ == rpc.AuthTypeNTLM {
				p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeAuth3}, Body: &rpc.Auth3{}, Auth: verifier(0, tok)})
			} else {
				p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeAlterContext}, Body: bindBody(), Auth: verifier(0, tok)})
				p.recv()
			}
		}
	case fuzzRequestSig:
		if handshake(2) {
			p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeRequest},
				Body: &rpc.Request{ContextID: 0, Stub: []byte("0123456789abcdef")}, Auth: verifier(0, tok)})
			p.recv()
		}
	case fuzzSecondAlter:
		if handshake(2) {
			id := uint32(len(tok) % 2) // a new context, or re-authenticating the established one
			p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeAlterContext}, Body: bindBody(), Auth: verifier(id, tok)})
			p.recv()
		}
	}
	// Probe: an unauthenticated request must get fault 5 (the server
	// requires privacy) or find the connection closed.
	p.send(&rpc.PDU{Header: rpc.Header{Type: rpc.PTypeRequest}, Body: &rpc.Request{Stub: []byte("probe")}})
	for !p.closed {
		p.recv()
	}
	if n := srv.calls.Load() - before; n != 0 {
		t.Fatalf("handler ran %d times", n)
	}
	for _, q := range p.got {
		if f, ok := q.Body.(*rpc.Fault); ok && f.Status != rpc.StatusAccessDenied && f.Status != rpc.StatusProtoError {
			t.Fatalf("unexpected fault 0x%x after %s", f.Status, types(p.got))
		}
	}
}

// TestServerAuthLegsSeeds runs the fuzz seeds and any saved crashers as a
// table test (also part of `go test` through the Fuzz function; this one
// names the cases).
func TestServerAuthLegsSeeds(t *testing.T) {
	srv := startPipeServer(t)
	toks := append(realTokens(t), nil, []byte{0}, []byte("NTLMSSP\x00"), make([]byte, 4465))
	for mode := range 8 {
		for _, tok := range toks {
			runAuthLegs(t, srv, uint8(mode), uint8(rpc.AuthLevelPrivacy), tok)
		}
	}
}
