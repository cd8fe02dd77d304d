package dcom

import (
	"context"
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

// The echo test class: IEcho, opnum 3 Echo(u32) -> (u32 x+1, HRESULT),
// opnum 4 Caller() -> (u32 admin, HRESULT).
var (
	CLSID_Echo = ndr.MustGUID("6b1c2a60-1111-4d2e-9a55-0123456789ab")
	IID_IEcho  = ndr.MustGUID("6b1c2a61-1111-4d2e-9a55-0123456789ab")
	IID_Other  = ndr.MustGUID("6b1c2a62-1111-4d2e-9a55-0123456789ab")
)

type echoObject struct {
	closed *atomic.Int32
}

func (o *echoObject) Invoke(ctx context.Context, c *Call) error {
	switch {
	case c.IID == IID_IEcho && c.Opnum == 3:
		x := c.In.Uint32()
		if err := c.In.Err(); err != nil {
			return err
		}
		c.Out.Uint32(x + 1)
		c.Out.Uint32(uint32(S_OK))
		return nil
	case c.IID == IID_IEcho && c.Opnum == 4:
		admin := uint32(0)
		if c.Caller.Peer.Admin {
			admin = 1
		}
		c.Out.Uint32(admin)
		c.Out.Uint32(uint32(S_OK))
		return nil
	case c.IID == IID_IDispatch && c.Opnum == 3: // GetTypeInfoCount
		c.Out.Uint32(0)
		c.Out.Uint32(uint32(S_OK))
		return nil
	}
	return &rpc.FaultError{Status: rpc.StatusOpRangeError, DidNotExecute: true}
}

func (o *echoObject) Close() error { o.closed.Add(1); return nil }

type echoClass struct {
	created, closed atomic.Int32
}

func (e *echoClass) class() *Class {
	return &Class{CLSID: CLSID_Echo, Name: "Echo", IIDs: []ndr.GUID{IID_IEcho},
		New: func(ctx context.Context, caller Caller) (Object, error) {
			e.created.Add(1)
			return &echoObject{closed: &e.closed}, nil
		}}
}

const (
	testUser     = "admin"
	testPassword = "Passw0rd!"
	plainUser    = "bob"
)

var testCreds = ntlm.CredentialFunc(func(user, domain string) (ntlm.Account, bool) {
	switch strings.ToLower(user) {
	case testUser:
		return ntlm.Account{NTHash: ntlm.NTHash(testPassword), Admin: true}, true
	case plainUser:
		return ntlm.Account{NTHash: ntlm.NTHash(testPassword)}, true
	}
	return ntlm.Account{}, false
})

func ntlmServerConfig() ntlm.ServerConfig {
	return ntlm.ServerConfig{Creds: testCreds, NetBIOSComputer: "IISCTLTEST", DNSComputer: "iisctltest.example"}
}

// spnegoAcceptor and spnegoInitiator wrap NTLM in SPNEGO (auth type 9).
type spnegoAcceptor struct{ cfg ntlm.ServerConfig }

func (spnegoAcceptor) AuthType() rpc.AuthType { return rpc.AuthTypeSPNEGO }
func (a spnegoAcceptor) NewServerContext() (rpc.SecurityContext, error) {
	s, err := ntlm.NewServer(a.cfg)
	if err != nil {
		return nil, err
	}
	return spnego.NewServer(s), nil
}

type spnegoInitiator struct{ cfg ntlm.ClientConfig }

func (spnegoInitiator) AuthType() rpc.AuthType { return rpc.AuthTypeSPNEGO }
func (i spnegoInitiator) NewClientContext() (rpc.SecurityContext, error) {
	return spnego.NewClient(ntlm.NewClient(i.cfg)), nil
}

type fixture struct {
	srv   *Server
	echo  *echoClass
	clock *lockedClock
	port  int
	obj   string // exporter address
	logs  *logBuffer
}

// lockedClock is an injectable clock safe to advance while the server runs.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *lockedClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer serves an echo class on 127.0.0.1 with NTLM and SPNEGO.
func startServer(t *testing.T, mod func(*ServerConfig)) *fixture {
	t.Helper()
	f := &fixture{echo: &echoClass{}, clock: &lockedClock{t: time.Unix(1_700_000_000, 0)}, logs: &logBuffer{}}
	cfg := &ServerConfig{
		Acceptors: []rpc.Acceptor{ntlm.Acceptor{Config: ntlmServerConfig()}, spnegoAcceptor{ntlmServerConfig()}},
		Names:     []string{"IISCTLTEST", "iisctltest.example"},
		Logger:    slog.New(slog.NewTextHandler(io.MultiWriter(f.logs), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       f.clock.now,
		RPC:       rpc.ServerConfig{IdleTimeout: 30 * time.Second},
	}
	if mod != nil {
		mod(cfg)
	}
	f.srv = NewServer(cfg)
	if err := f.srv.Register(f.echo.class()); err != nil {
		t.Fatal(err)
	}
	act, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.port, f.obj = act.Addr().(*net.TCPAddr).Port, obj.Addr().String()
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(act, obj) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		select {
		case err := <-done:
			if err != ErrServerClosed {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return f
}

func (f *fixture) clientConfig(user string, spn bool) ClientConfig {
	nc := ntlm.ClientConfig{User: user, Domain: "IISCTLTEST", Password: testPassword}
	var auth rpc.Initiator = ntlm.Initiator{Config: nc}
	if spn {
		auth = spnegoInitiator{nc}
	}
	return ClientConfig{Host: "127.0.0.1", Port: f.port, Auth: auth, DialTimeout: 2 * time.Second, PingPeriod: -1}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echo calls IEcho::Echo.
func echo(ctx context.Context, c interface {
	Call(context.Context, uint16, func(*ndr.Writer), func(*ndr.Reader) error) error
}, x uint32) (uint32, error) {
	var y uint32
	var hr HRESULT
	err := c.Call(ctx, 3, func(w *ndr.Writer) { w.Uint32(x) }, func(r *ndr.Reader) error {
		y, hr = r.Uint32(), HRESULT(r.Uint32())
		if err := r.Err(); err != nil {
			return err
		}
		if hr != S_OK {
			return hr
		}
		return nil
	})
	return y, err
}
