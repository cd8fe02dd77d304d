package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/iisreset"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

func TestExitCodeAndHint(t *testing.T) {
	tg := Target{"h", 1135}
	cases := []struct {
		err  error
		code int
		hint string // a substring
	}{
		{nil, ExitOK, ""},
		{errors.New("boom"), ExitFailed, ""},
		{iiss.E_ACCESSDENIED, ExitAuth, "Administrators group"},
		{fmt.Errorf("bind: %w", ntlm.ErrLogonFailure), ExitAuth, "the logon to h:1135 failed"},
		{&rpc.BindNakError{Reason: rpc.NakAuthTypeNotRecognized}, ExitAuth, "does not accept --auth ntlm"},
		{dialErr(context.Background(), context.DeadlineExceeded, tg, time.Second), ExitDialTimeout, "--dial-timeout"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ExitUnreachable, "TCP port 1135"},
		{&net.DNSError{Err: "no such host", Name: "h", IsNotFound: true}, ExitHostNotFound, "does not resolve"},
		{rpc.ErrConnClosed, ExitClosed, "the connection to h:1135 broke"},
		{&iiss.Error{Kind: iiss.KindClosed, Addr: "h:1135", Err: io.EOF}, ExitClosed, "closed the connection before answering"},
		{&rpc.BindNakError{Reason: rpc.NakLocalLimitExceeded}, ExitClosed, "connection limit"},
		{&iiss.Error{Kind: iiss.KindNotRPC, Addr: "h:1135", Err: rpc.ErrMalformedPDU}, ExitNotRPC, "not in DCE/RPC"},
		{&rpc.ContextRejectedError{Result: 2, Reason: 1}, ExitWrongPort, "object's port"},
		{&rpc.FaultError{Status: rpc.StatusAccessDenied}, ExitAuth, "--auth-level privacy"},
		{iiss.ERROR_SERVICE_REQUEST_TIMEOUT_ALT, ExitTimeout, "--timeout"},
		{context.DeadlineExceeded, ExitTimeout, "--timeout"},
		{iiss.ERROR_RESOURCE_DISABLED, ExitDisabled, "iisreset /enable"},
		{iiss.E_NOTIMPL, ExitNotImpl, "[control] reboot = true"},
	}
	for _, c := range cases {
		if got := exitCodeOf(c.err); got != c.code {
			t.Errorf("exitCodeOf(%v) = %d, want %d", c.err, got, c.code)
		}
		h := hintFor(tg, c.err, ConnOptions{}, time.Minute)
		if (c.hint == "") != (h == "") || !strings.Contains(h, c.hint) {
			t.Errorf("hint for %v = %q, want it to contain %q", c.err, h, c.hint)
		}
	}
}

func TestDialTimeoutHasItsOwnCode(t *testing.T) {
	e := newEnv(false)
	e.f.Dial = func(ctx context.Context, _ Target, _ Credentials, _ ConnOptions) (Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	code := e.run(t, "iisctl", "kill", "-u", "bob", "--dial-timeout", "10ms", "h")
	if code != ExitDialTimeout {
		t.Fatalf("exit %d", code)
	}
	check(t, "stdout", e.out.String(), "h\tfailed\tThe RPC server is unavailable: no answer within the dial timeout (0x800706BA)\t1.5s\n")
	err := dialErr(context.Background(), context.DeadlineExceeded, Target{"h", 135}, time.Second)
	if !errors.Is(err, iisreset.RPC_S_SERVER_UNAVAILABLE) || !errors.Is(err, iiss.ErrDialTimeout) || !errors.Is(err, iiss.ErrUnreachable) {
		t.Error("dialErr does not mark a timeout")
	}
	if err := dialErr(context.Background(), iiss.E_ACCESSDENIED, Target{"h", 135}, time.Second); err != iiss.E_ACCESSDENIED {
		t.Errorf("dialErr rewrote an HRESULT: %v", err)
	}
}

func TestParallelBound(t *testing.T) {
	e := newEnv(false)
	var now, peak atomic.Int32
	// Each dial waits until two are in flight at once (or 5 s pass), so
	// the bound is reached whatever the scheduling, without sleeping.
	both := make(chan struct{})
	var once sync.Once
	e.f.Dial = func(ctx context.Context, t Target, _ Credentials, _ ConnOptions) (Conn, error) {
		n := now.Add(1)
		defer now.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n >= 2 {
			once.Do(func() { close(both) })
		}
		select {
		case <-both:
		case <-time.After(5 * time.Second):
		}
		return newStub(true), nil
	}
	args := []string{"iisctl", "kill", "-u", "bob", "--parallel", "2"}
	for i := range 6 {
		args = append(args, fmt.Sprintf("h%d", i))
	}
	if code := e.run(t, args...); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want 2", p)
	}
	want := ""
	for i := range 6 {
		want += fmt.Sprintf("h%d\tok\tInternet services successfully killed\t1.5s\n", i)
	}
	check(t, "stdout", e.out.String(), want)
}
