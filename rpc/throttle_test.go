package rpc

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// vclock is a virtual clock: Sleep advances it at once.
type vclock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps int
	slept  time.Duration
}

func newVClock() *vclock { return &vclock{t: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)} }

func (v *vclock) Now() time.Time { v.mu.Lock(); defer v.mu.Unlock(); return v.t }

func (v *vclock) Advance(d time.Duration) { v.mu.Lock(); v.t = v.t.Add(d); v.mu.Unlock() }

func (v *vclock) Sleep(_ context.Context, d time.Duration) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.t = v.t.Add(d)
	v.sleeps++
	v.slept += d
	return nil
}

func (v *vclock) Sleeps() (int, time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.sleeps, v.slept
}

func (v *vclock) config() *ThrottleConfig {
	return &ThrottleConfig{Now: v.Now, Sleep: v.Sleep}
}

// attempt runs one gated check from ip for user with result ok and
// returns how long it waited and whether it was refused unchecked.
func attempt(t *testing.T, th *LogonThrottle, v *vclock, ip, user string, ok bool) (time.Duration, bool) {
	t.Helper()
	g := th.Gate(ip)
	before := v.Now()
	if err := g.Before(context.Background(), "DOM", user); err != nil {
		if !errors.Is(err, ErrLogonThrottled) {
			t.Fatal(err)
		}
		return 0, true
	}
	g.After(ok)
	return v.Now().Sub(before), false
}

func TestThrottleRules(t *testing.T) {
	v := newVClock()
	var sums []ThrottleSummary
	cfg := v.config()
	cfg.OnSummary = func(s ThrottleSummary) { sums = append(sums, s) }
	th := NewLogonThrottle(cfg)
	// Exponential delay for the failing address.
	want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
	for i, w := range want {
		if d, refused := attempt(t, th, v, "10.0.0.1", "admin", false); refused || d != w {
			t.Fatalf("attempt %d: waited %v refused %v, want %v", i, d, refused, w)
		}
	}
	// Another address, even for the attacked account, and a correct
	// logon from a clean address: never delayed.
	if d, refused := attempt(t, th, v, "10.0.0.2", "other", false); d != 0 || refused {
		t.Fatalf("other address delayed %v", d)
	}
	if d, refused := attempt(t, th, v, "10.0.0.3", "admin", true); d != 0 || refused {
		t.Fatalf("correct logon from a clean address delayed %v", d)
	}
	// The account's failures weigh on addresses that failed before:
	// 10.0.0.2 (one failure) now waits for admin's turn.
	if d, _ := attempt(t, th, v, "10.0.0.2", "admin", true); d == 0 {
		t.Fatal("an address with failures was not delayed for the attacked account")
	}
	// Concurrent attempts from one address are serialized: turns are
	// reserved, and one too far away is refused unchecked.
	cfg3 := v.config()
	waits := 0
	cfg3.Sleep = func(context.Context, time.Duration) error { waits++; return nil } // all at the same instant
	th3 := NewLogonThrottle(cfg3)
	th3.Gate("10.0.0.4").After(false)
	admitted := 0
	for range 10 {
		if err := th3.Gate("10.0.0.4").Before(context.Background(), "DOM", "admin"); err == nil {
			admitted++
		}
	}
	// Turns at +250ms, +500ms, ... up to MaxWait (10s): 40 at most.
	if admitted == 10 && waits != 10 {
		t.Fatalf("parallel attempts: %d admitted, %d waited", admitted, waits)
	}
	for range 100 {
		th3.Gate("10.0.0.4").Before(context.Background(), "DOM", "admin")
	}
	if err := th3.Gate("10.0.0.4").Before(context.Background(), "DOM", "admin"); !errors.Is(err, ErrLogonThrottled) {
		t.Fatal("an address hammering in parallel was never refused:", err)
	}
	s, ok := th.Flush()
	if !ok || s.Failures == 0 || len(s.Addresses) == 0 || s.Addresses[0] != "10.0.0.1 (5)" {
		t.Fatalf("summary %+v", s)
	}
	if len(sums) == 0 {
		t.Fatal("OnSummary not called")
	}
	// The window forgets.
	v.Advance(16 * time.Minute)
	if d, refused := attempt(t, th, v, "10.0.0.1", "admin", true); d != 0 || refused {
		t.Fatalf("after the window: waited %v refused %v", d, refused)
	}
	// Lockout: Lockout failures for one account lock it for addresses with failures.
	cfg2 := v.config()
	cfg2.Lockout, cfg2.MaxWait = 3, time.Hour
	th2 := NewLogonThrottle(cfg2)
	for range 3 {
		attempt(t, th2, v, "10.0.0.9", "root", false)
	}
	if _, refused := attempt(t, th2, v, "10.0.0.9", "root", true); !refused {
		t.Fatal("locked account accepted from the failing address")
	}
	if _, refused := attempt(t, th2, v, "10.0.0.10", "root", true); refused {
		t.Fatal("locked account refused from a clean address")
	}
}
