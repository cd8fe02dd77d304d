package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer that the progress goroutines and the test
// may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProgress: on a terminal, stop shows each service's state changes
// (from a second connection's Status) and a spinner, then clears it.
func TestProgress(t *testing.T) {
	e := newEnv(false)
	var errOut lockedBuffer
	e.f.IO.ErrOut, e.f.IO.ErrIsTTY = &errOut, true
	e.hosts["h"] = newStub(true)
	e.hosts["h"].HangStop(true)
	if code := e.run(t, "iisctl", "stop", "-u", "bob", "h", "--timeout", "1"); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	got := errOut.String()
	for _, want := range []string{"h  web      Stop Pending -> Stopped\n", "| stopping the Internet services: 0 of 1 host(s) done, "} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%q", want, got)
		}
	}
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("the spinner line is not cleared at the end: %q", got)
	}
	if len(e.creds) != 2 {
		t.Errorf("%d connections, want 2 (the call's and the progress')", len(e.creds))
	}
	// Not on a terminal: no progress.
	e = newEnv(false)
	e.hosts["h"] = newStub(true)
	e.run(t, "iisctl", "stop", "-u", "bob", "h")
	if e.errOut.Len() != 0 || len(e.creds) != 1 {
		t.Errorf("progress off a terminal: %q, %d connections", e.errOut, len(e.creds))
	}
}

// TestInterrupt: the first Ctrl-C during stop says the stop goes on at
// the server and keeps waiting; the second stops waiting (exit 130). A
// status stops at the first.
func TestInterrupt(t *testing.T) {
	e := newEnv(false)
	var errOut lockedBuffer
	e.f.IO.ErrOut = &errOut
	intr := make(chan os.Signal, 2)
	e.f.Interrupts = intr
	e.hosts["h"] = newStub(true)
	e.hosts["h"].HangStop(true)
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"iisctl", "stop", "-u", "bob", "h", "--timeout", "60"}, e.f)
	}()
	waitFor(t, "the stop call", func() bool { return strings.Contains(e.hosts["h"].Calls(), "stop") })
	intr <- os.Interrupt
	waitFor(t, "the first message", func() bool { return strings.Contains(errOut.String(), "interrupted") })
	if want := "\niisctl: interrupted: the stop goes on at h: the server finishes it whatever iisctl does. " +
		"iisctl waits for the result; press Ctrl-C again to stop waiting.\n"; errOut.String() != want {
		t.Fatalf("first Ctrl-C: %q, want %q", errOut.String(), want)
	}
	select {
	case code := <-done:
		t.Fatalf("iisctl exited (%d) at the first Ctrl-C", code)
	case <-time.After(200 * time.Millisecond):
	}
	intr <- os.Interrupt
	select {
	case code := <-done:
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want %d", code, ExitInterrupted)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second Ctrl-C did not end iisctl")
	}
	if !strings.HasSuffix(errOut.String(), "iisctl: stopped waiting; the stop may still be running on the server: see 'iisctl status h'\n") {
		t.Fatalf("second Ctrl-C: %q", errOut.String())
	}

	// status: one Ctrl-C is enough; --watch ends with 0.
	e = newEnv(false)
	intr = make(chan os.Signal, 2)
	e.f.Interrupts = intr
	e.hosts["h"] = newStub(true)
	go func() {
		done <- run(context.Background(), []string{"iisctl", "status", "-u", "bob", "h", "--watch", "--interval", "100ms"}, e.f)
	}()
	waitFor(t, "two rounds", func() bool { return strings.Count(e.hosts["h"].Calls(), "close") >= 2 })
	intr <- os.Interrupt
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("status --watch: exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-C did not end status --watch")
	}
}
