package supervisor_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
)

const bound = 5 * time.Second // every wait in these tests is bounded by it

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func newManager(t *testing.T, cfg supervisor.Config) *supervisor.Manager {
	t.Helper()
	m, err := supervisor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		defer cancel()
		if err := m.Kill(ctx); err != nil && err != supervisor.ErrClosed {
			t.Errorf("cleanup Kill: %v", err)
		}
		m.Close()
	})
	return m
}

func ctxBound(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	t.Cleanup(cancel)
	return ctx
}

func status(t *testing.T, m *supervisor.Manager, name string) svc.Status {
	t.Helper()
	st, err := m.Services(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %s", name)
	return svc.Status{}
}

// waitStatus polls (tests only) until cond holds for name, within bound.
func waitStatus(t *testing.T, m *supervisor.Manager, name string, cond func(svc.Status) bool) svc.Status {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		s := status(t, m, name)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: condition not met within %v: %+v", name, bound, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isStopped(s svc.Status) bool { return s.State == svc.Stopped }

// waitLines polls file until it has at least n lines, within bound.
func waitLines(t *testing.T, file string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		b, _ := os.ReadFile(file)
		lines := strings.Fields(string(b))
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d lines within %v, want %d: %q", filepath.Base(file), len(lines), bound, n, lines)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock fires its timers only when advanced, synchronously.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c  *fakeClock
	at time.Time
	d  time.Duration
	f  func()
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1e9, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) supervisor.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), d: d, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	n := len(t.c.timers)
	t.c.timers = slices.DeleteFunc(t.c.timers, func(x *fakeTimer) bool { return x == t })
	return len(t.c.timers) < n
}

// Advance moves time on and runs the timers that fall due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if !t.at.After(c.now) {
			due = append(due, t)
			return true
		}
		return false
	})
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

// Pending lists the durations of the timers not yet fired.
func (c *fakeClock) Pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		out = append(out, t.d)
	}
	return out
}
