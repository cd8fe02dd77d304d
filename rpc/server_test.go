package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

var testIface2 = SyntaxID{UUID: ndr.MustGUID("87654321-4321-abcd-ef00-0123456789ab"), Major: 2, Minor: 1}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// echo returns the stub; opnum 1 panics; opnum 2..4 return errors.
var echo = HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) {
	switch c.Opnum {
	case 1:
		panic("boom")
	case 2:
		return nil, &FaultError{Status: 0x80070005}
	case 3:
		return nil, errors.Join(errors.New("decode"), ErrInvalidStub)
	case 4:
		return nil, errors.New("something broke")
	case 5:
		return nil, fmt.Errorf("decoding: %w", statusErr(StatusBadStubData))
	}
	return bytes.Clone(c.Stub), nil
})

// statusErr stands in for ndr's errors, which implement RPCFaultStatus.
type statusErr uint32

func (e statusErr) Error() string          { return "status error" }
func (e statusErr) RPCFaultStatus() uint32 { return uint32(e) }

func startServer(t testing.TB, cfg *ServerConfig, ifcs ...Interface) (*Server, string) {
	t.Helper()
	if cfg == nil {
		cfg = &ServerConfig{MinLevel: AuthLevelNone}
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s := NewServer(cfg)
	if len(ifcs) == 0 {
		ifcs = []Interface{{UUID: testIface.UUID, Major: 1, Opnums: 8, Handler: echo}}
	}
	for _, i := range ifcs {
		if err := s.Register(i); err != nil {
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
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, l.Addr().String()
}

func dial(t testing.TB, addr string, cfg *ClientConfig) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func mustBind(t testing.TB, c *Conn, iface SyntaxID, o *BindOptions) *PresContext {
	t.Helper()
	pc, err := c.Bind(ctxT(t), iface, o)
	if err != nil {
		t.Fatal("bind:", err)
	}
	return pc
}

func TestEchoNDR20(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	if pc.Syntax != ndr.NDR20 || c.AssocGroup() == 0 {
		t.Fatalf("syntax %v group %d", pc.Syntax, c.AssocGroup())
	}
	for _, n := range []int{0, 1, 64, 4096} {
		out, err := c.Call(ctxT(t), pc, 0, nil, pattern(n))
		if err != nil || !bytes.Equal(out, pattern(n)) {
			t.Fatalf("%d bytes: %v (got %d)", n, err, len(out))
		}
	}
}

func TestNegotiation(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dial(t, addr, nil)
	// NDR64 only: accepted as NDR64.
	pc := mustBind(t, c, testIface, &BindOptions{Syntaxes: []ndr.Syntax{ndr.NDR64}, Features: FeatureSecurityContextMultiplexing | FeatureKeepConnectionOnOrphan})
	if pc.Syntax != ndr.NDR64 || pc.Transfer != SyntaxNDR64 {
		t.Fatalf("syntax %v", pc.Syntax)
	}
	if pc.Features != FeatureSecurityContextMultiplexing {
		t.Fatalf("features %#x, want only 0x1", pc.Features)
	}
	out, err := c.Call(ctxT(t), pc, 0, nil, []byte("ndr64"))
	if err != nil || string(out) != "ndr64" {
		t.Fatal(out, err)
	}
	// Both offered, NDR64 first: the server prefers NDR20.
	pc2 := mustBind(t, c, testIface, &BindOptions{Syntaxes: []ndr.Syntax{ndr.NDR64, ndr.NDR20}})
	if pc2.Syntax != ndr.NDR20 || pc2.ID == pc.ID {
		t.Fatalf("both offered: %v id %d", pc2.Syntax, pc2.ID)
	}
	// Unknown interface: rejected with 2/1, not a nak.
	var re *ContextRejectedError
	if _, err := c.AlterContext(ctxT(t), testIface2, nil); !errors.As(err, &re) || re.Reason != ReasonAbstractSyntaxNS {
		t.Fatalf("unknown iface: %v", err)
	}
}

func TestServerNegotiateResults(t *testing.T) {
	s := NewServer(&ServerConfig{Logger: quietLogger()})
	s.Register(Interface{UUID: testIface.UUID, Major: 1, Handler: echo})
	c := newServerConn(s, fakeAddrConn{})
	res := c.negotiate([]ContextElement{
		{ContextID: 3, Abstract: testIface, Transfer: []SyntaxID{SyntaxNDR64}},
		{ContextID: 4, Abstract: testIface, Transfer: []SyntaxID{SyntaxNDR20}},
		{ContextID: 5, Abstract: testIface, Transfer: []SyntaxID{FeatureSyntax(3)}},
		{ContextID: 6, Abstract: testIface2, Transfer: []SyntaxID{SyntaxNDR20}},
		{ContextID: 7, Abstract: SyntaxID{UUID: testIface.UUID, Major: 1, Minor: 5}, Transfer: []SyntaxID{SyntaxNDR20}},
	})
	want := []ContextResult{{2, 2, SyntaxID{}}, {0, 0, SyntaxNDR20}, {3, 1, SyntaxID{}}, {2, 1, SyntaxID{}}, {2, 1, SyntaxID{}}}
	for i := range want {
		if res[i] != want[i] {
			t.Errorf("result %d: %+v, want %+v", i, res[i], want[i])
		}
	}
}

type fakeAddrConn struct{ net.Conn }

func (fakeAddrConn) RemoteAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (fakeAddrConn) LocalAddr() net.Addr  { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 135} }

func TestFragmentation(t *testing.T) {
	var seen atomic.Int64
	h := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) {
		seen.Store(int64(len(c.Stub)))
		return append(bytes.Clone(c.Stub), c.Stub...), nil
	})
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, MaxFragment: 2048, PreAuthMaxStub: 1 << 20},
		Interface{UUID: testIface.UUID, Major: 1, Handler: h})
	c := dial(t, addr, &ClientConfig{MaxFragment: 4096})
	pc := mustBind(t, c, testIface, nil)
	if x, r := c.MaxFragments(); x != 2048 || r != 2048 {
		t.Fatalf("negotiated %d/%d", x, r)
	}
	in := pattern(10*1024 + 3)
	out, err := c.Call(ctxT(t), pc, 0, nil, in)
	if err != nil || !bytes.Equal(out, append(bytes.Clone(in), in...)) || seen.Load() != int64(len(in)) {
		t.Fatalf("fragmented echo: %v len %d seen %d", err, len(out), seen.Load())
	}
}

func TestNegotiateFrag(t *testing.T) {
	cases := []struct {
		x, r, cap uint16
		want      int
	}{
		{5840, 5840, 5840, 5840}, {65535, 65535, 5840, 5840}, {1024, 5840, 5840, 2048},
		{4281, 8000, 5840, 4280}, {5840, 5840, 1024, 1024},
	}
	for _, c := range cases {
		if got := negotiateFrag(c.x, c.r, c.cap); got != c.want {
			t.Errorf("negotiateFrag(%d,%d,%d) = %d, want %d", c.x, c.r, c.cap, got, c.want)
		}
	}
}

func TestObjectUUIDAndCallInfo(t *testing.T) {
	var got *Call
	h := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) { got = c; return nil, nil })
	_, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Handler: h})
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	obj := ndr.MustGUID("11111111-2222-3333-4444-555555555555")
	if _, err := c.Call(ctxT(t), pc, 5, &obj, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if !got.HasObject || got.Object != obj || got.Opnum != 5 || got.AuthLevel != AuthLevelNone ||
		got.LocalAddr.String() != addr || got.Interface != testIface || got.AssocGroup != c.AssocGroup() {
		t.Fatalf("call %+v", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, IdleTimeout: 200 * time.Millisecond})
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(raw, nil)
	t.Cleanup(func() { c.Close() })
	pc := mustBind(t, c, testIface, nil)
	expectClosed(t, raw) // waits for the server to close the idle connection
	if _, err := c.Call(ctxT(t), pc, 0, nil, []byte{1}); err == nil {
		t.Fatal("call succeeded on an idle-closed connection")
	}
	// Handshake timeout: a connection that never binds is closed.
	_, addr = startServer(t, &ServerConfig{MinLevel: AuthLevelNone, HandshakeTimeout: 200 * time.Millisecond})
	nc, _ := net.Dial("tcp", addr)
	defer nc.Close()
	expectClosed(t, nc)
}

func TestShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	slow := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) {
		close(started)
		<-release
		return []byte("done"), nil
	})
	s, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Handler: slow})
	idle := dial(t, addr, nil)
	mustBind(t, idle, testIface, nil)
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	res := make(chan error, 1)
	go func() {
		out, err := c.Call(ctxT(t), pc, 0, nil, nil)
		if err == nil && string(out) != "done" {
			err = errors.New("bad output")
		}
		res <- err
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctxT(t)) }()
	// Shutdown has begun once the listener refuses connections; it must
	// still be waiting for the call in flight.
	for deadline := time.Now().Add(5 * time.Second); ; {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("Shutdown did not close the listener")
		}
		runtime.Gosched()
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a call in flight", err)
	default:
	}
	close(release)
	if err := <-res; err != nil {
		t.Fatal("in-flight call:", err)
	}
	if err := <-shut; err != nil {
		t.Fatal("Shutdown:", err)
	}
	if _, err := Dial(ctxT(t), addr, nil); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := s.Serve(l); !errors.Is(err, ErrServerClosed) {
		t.Fatal("Serve after Shutdown:", err)
	}
}

func TestCallCancel(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	h := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) { <-block; return nil, nil })
	_, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Handler: h})
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Call(ctx, pc, 0, nil, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	if _, err := c.Call(ctxT(t), pc, 0, nil, nil); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("after cancel: %v", err)
	}
}
