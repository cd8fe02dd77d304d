package iiss_test

// The library as a program importing it sees it: an in-process server
// assembled with iiss.NewServer over iiss.Local (what iissd runs), driven
// with iiss.Dial and only exported names, every failure told apart with
// errors.Is and iiss.Classify (issue 15; issue 14 point 6).

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/svctest"
)

// publicServer runs iiss.NewServer over iiss.Local on loopback, with the
// file-backed disable switch iissd uses, and returns the activation
// address and the switch.
func publicServer(t *testing.T) (string, *iiss.FileDisableState) {
	t.Helper()
	mgr := svctest.NewFake(svctest.Web(), svctest.Worker(), svctest.OnDemand())
	t.Cleanup(func() { mgr.Close() })
	disable, err := iiss.NewFileDisableState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	local := iiss.NewLocal(mgr, iiss.LocalOptions{Disable: disable})
	return serveLoopback(t, local, iiss.ServerConfig{}), disable
}

func as(user, pass string) iiss.ClientConfig {
	return iiss.ClientConfig{Credentials: iiss.Credentials{User: user, Password: pass}}
}

// wantKind checks err against the kind and every sentinel it must match,
// and that its message is not empty.
func wantKind(t *testing.T, what string, err error, kind iiss.Kind, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kind)
	}
	if k := iiss.Classify(err); k != kind {
		t.Errorf("%s: Classify = %v, want %v (%v)", what, k, kind, err)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: errors.Is(%v) is false for %v", what, target, err)
		}
	}
}

func TestPublicAPIControlsAndClassifies(t *testing.T) {
	t.Parallel()
	addr, disable := publicServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("admin", func(t *testing.T) {
		c, err := iiss.Dial(ctx, addr, as(adminUser, adminPass))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Start(ctx, 5*time.Second); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if err := c.Restart(ctx, 5*time.Second, true); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		list, err := c.Status(ctx)
		if err != nil || len(list) != 3 || list[0].State != svc.Running || list[2].State != svc.Stopped {
			t.Fatalf("Status: %+v %v", list, err)
		}
		wantKind(t, "Reboot", c.Reboot(ctx, time.Second, false), iiss.KindNotImplemented, iiss.ErrNotImpl)
		if h, ok := iiss.AsHRESULT(c.Reboot(ctx, time.Second, false)); !ok || h != iiss.E_NOTIMPL {
			t.Errorf("AsHRESULT(Reboot) = %v %v", h, ok)
		}
	})
	t.Run("wrong-password", func(t *testing.T) {
		_, err := iiss.Dial(ctx, addr, as(adminUser, "not-the-password"))
		wantKind(t, "Dial", err, iiss.KindLogonFailure, iiss.ErrLogonFailure)
		if h, ok := iiss.AsHRESULT(err); !ok || h != iiss.ERROR_LOGON_FAILURE {
			t.Errorf("AsHRESULT = %v %v, want ERROR_LOGON_FAILURE", h, ok)
		}
		if errors.Is(err, iiss.ErrAccessDenied) {
			t.Error("a wrong password also matches ErrAccessDenied")
		}
	})
	t.Run("unknown-user", func(t *testing.T) {
		_, err := iiss.Dial(ctx, addr, as("nobody", adminPass))
		wantKind(t, "Dial", err, iiss.KindLogonFailure, iiss.ErrLogonFailure)
	})
	t.Run("pass-the-hash-wrong", func(t *testing.T) {
		cfg := iiss.ClientConfig{Credentials: iiss.Credentials{User: adminUser, NTHash: make([]byte, 16)}}
		cfg.Credentials.NTHash[0] = 1
		_, err := iiss.Dial(ctx, addr, cfg)
		wantKind(t, "Dial", err, iiss.KindLogonFailure, iiss.ErrLogonFailure)
	})
	t.Run("not-admin", func(t *testing.T) {
		_, err := iiss.Dial(ctx, addr, as(plainUser, plainPass))
		wantKind(t, "Dial", err, iiss.KindAccessDenied, iiss.ErrAccessDenied)
		if errors.Is(err, iiss.ErrLogonFailure) {
			t.Error("a non-administrator also matches ErrLogonFailure")
		}
	})
	t.Run("disabled", func(t *testing.T) {
		c, err := iiss.Dial(ctx, addr, as(adminUser, adminPass))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := disable.Disable(); err != nil {
			t.Fatal(err)
		}
		defer disable.Enable()
		wantKind(t, "Stop", c.Stop(ctx, time.Second, false), iiss.KindDisabled, iiss.ErrResourceDisabled)
		_, err = c.Status(ctx)
		wantKind(t, "Status", err, iiss.KindDisabled, iiss.ErrResourceDisabled)
	})
	t.Run("kerberos-needs-realm", func(t *testing.T) {
		cfg := as(adminUser, adminPass)
		cfg.Auth = iiss.AuthKerberos
		if _, err := iiss.Dial(ctx, addr, cfg); !errors.Is(err, kerberos.ErrNoCredentials) || !strings.Contains(err.Error(), "realm") {
			t.Fatalf("Dial with Kerberos and no realm: %v", err)
		}
	})
	t.Run("wrong-port", func(t *testing.T) {
		// The object exporter's port speaks DCE/RPC but has no activator.
		c, err := iiss.Dial(ctx, addr, as(adminUser, adminPass))
		if err != nil {
			t.Fatal(err)
		}
		objAddr := c.RemoteAddr()
		c.Close()
		_, err = iiss.Dial(ctx, objAddr, as(adminUser, adminPass))
		wantKind(t, "Dial "+objAddr, err, iiss.KindWrongPort, iiss.ErrWrongPort, iiss.ErrUnreachable)
		if !strings.Contains(err.Error(), "activation") {
			t.Errorf("message %q does not say what the port lacks", err)
		}
	})
}

// TestDialFailureCauses: each way a Dial can fail before any call has its
// own kind and message (issue 14 point 6).
func TestDialFailureCauses(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := as(adminUser, adminPass)

	t.Run("dns", func(t *testing.T) {
		_, err := iiss.Dial(ctx, "iisctl-test.invalid", cfg)
		wantKind(t, "Dial", err, iiss.KindHostNotFound, iiss.ErrHostNotFound, iiss.ErrUnreachable)
		if !strings.Contains(err.Error(), "resolve") {
			t.Errorf("message %q", err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := l.Addr().String()
		l.Close()
		_, err = iiss.Dial(ctx, dead, cfg)
		wantKind(t, "Dial", err, iiss.KindUnreachable, iiss.ErrUnreachable)
		if h, _ := iiss.AsHRESULT(err); h != iiss.RPC_S_SERVER_UNAVAILABLE {
			t.Errorf("AsHRESULT = %v", h)
		}
	})
	t.Run("http", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		_, err := iiss.Dial(ctx, strings.TrimPrefix(srv.URL, "http://"), cfg)
		wantKind(t, "Dial", err, iiss.KindNotRPC, iiss.ErrNotRPC, iiss.ErrUnreachable)
	})
	t.Run("closed-at-limit", func(t *testing.T) {
		addr := acceptThen(t, func(c net.Conn) { c.Close() })
		_, err := iiss.Dial(ctx, addr, cfg)
		wantKind(t, "Dial", err, iiss.KindClosed, iiss.ErrConnectionClosed)
	})
	t.Run("never-answers", func(t *testing.T) {
		hold := make(chan struct{})
		defer close(hold)
		addr := acceptThen(t, func(c net.Conn) { <-hold; c.Close() })
		c := cfg
		c.DialTimeout = 300 * time.Millisecond
		start := time.Now()
		_, err := iiss.Dial(ctx, addr, c)
		wantKind(t, "Dial", err, iiss.KindDialTimeout, iiss.ErrDialTimeout, iiss.ErrTimeout, iiss.ErrUnreachable)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Dial took %v with a 300ms dial timeout", d)
		}
		var e *iiss.Error
		if !errors.As(err, &e) || e.Timeout != 300*time.Millisecond || !strings.Contains(err.Error(), "did not answer within 300ms") {
			t.Errorf("error %q does not name the dial timeout", err)
		}
	})
	t.Run("caller-deadline-shorter", func(t *testing.T) {
		// The caller's 300ms deadline expires, not the 15s dial timeout:
		// the error names what the caller allowed.
		hold := make(chan struct{})
		defer close(hold)
		addr := acceptThen(t, func(c net.Conn) { <-hold; c.Close() })
		dctx, dcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer dcancel()
		_, err := iiss.Dial(dctx, addr, cfg)
		if !errors.Is(err, iiss.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial past the caller's deadline: %v (%v)", err, iiss.Classify(err))
		}
		if msg := err.Error(); strings.Contains(msg, "15s") || strings.Contains(msg, "dial timeout") {
			t.Errorf("error %q blames the 15s dial timeout for the caller's 300ms deadline", msg)
		}
	})
	t.Run("caller-canceled", func(t *testing.T) {
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		_, err := iiss.Dial(cctx, "127.0.0.1:1", cfg)
		if k := iiss.Classify(err); k != iiss.KindCanceled || !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial with a canceled context: %v (%v)", err, k)
		}
	})
}

// acceptThen listens on loopback and runs f on each accepted connection.
func acceptThen(t *testing.T, f func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f(c)
		}
	}()
	return l.Addr().String()
}

// TestDialUsesInjectedDialer: every TCP connection Dial makes (activator,
// then object exporter) goes through ClientConfig.Dial, and so does the
// authentication's randomness through ClientConfig.Rand.
func TestDialUsesInjectedDialer(t *testing.T) {
	t.Parallel()
	addr, _ := publicServer(t)
	var dials []string
	var randBytes int
	cfg := as(adminUser, adminPass)
	cfg.Dial = func(ctx context.Context, network, a string) (net.Conn, error) {
		dials = append(dials, a)
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}
	cfg.Rand = readerFunc(func(p []byte) (int, error) {
		randBytes += len(p)
		for i := range p {
			p[i] = byte(i)
		}
		return len(p), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := iiss.Dial(ctx, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if len(dials) != 2 || dials[0] != addr || dials[1] != c.RemoteAddr() {
		t.Fatalf("dials %v; want the activator %s, then the object %s", dials, addr, c.RemoteAddr())
	}
	if randBytes == 0 {
		t.Fatal("the authentication did not draw from ClientConfig.Rand")
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestDialServerAtItsLimit: a server at its connection limit refuses the
// bind (bind_nak local_limit_exceeded): ErrServerBusy, which is also
// ErrConnectionClosed, exit code 10 in iisctl.
func TestDialServerAtItsLimit(t *testing.T) {
	t.Parallel()
	mgr := svctest.NewFake(svctest.Web())
	t.Cleanup(func() { mgr.Close() })
	addr := serveLoopback(t, iiss.NewLocal(mgr, iiss.LocalOptions{}),
		iiss.ServerConfig{Limits: iiss.Limits{MaxConnsPerAddr: 1, HandshakeTimeout: time.Minute}})
	hold, err := net.Dial("tcp", addr) // an unauthenticated connection takes the one slot
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err2 error
	// The server counts the held connection once it has accepted it.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		var c *iiss.Client
		if c, err2 = iiss.Dial(ctx, addr, as(adminUser, adminPass)); err2 == nil {
			c.Close()
			continue
		}
		break
	}
	wantKind(t, "Dial", err2, iiss.KindBusy, iiss.ErrServerBusy, iiss.ErrConnectionClosed)
}
