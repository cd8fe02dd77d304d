package rpc_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// fastThrottle is for tests about something else that fail many logons
// from 127.0.0.1 and then expect a correct one to work at once.
func fastThrottle() *rpc.LogonThrottle {
	return rpc.NewLogonThrottle(&rpc.ThrottleConfig{BaseDelay: time.Microsecond, MaxDelay: time.Millisecond, Lockout: -1})
}

// vclock is a virtual clock for the throttle: Sleep advances it at once.
type vclock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps int
}

func (v *vclock) Now() time.Time { v.mu.Lock(); defer v.mu.Unlock(); return v.t }
func (v *vclock) Advance(d time.Duration) {
	v.mu.Lock()
	v.t = v.t.Add(d)
	v.mu.Unlock()
}
func (v *vclock) Sleep(_ context.Context, d time.Duration) error {
	v.mu.Lock()
	v.t = v.t.Add(d)
	v.sleeps++
	v.mu.Unlock()
	return nil
}
func (v *vclock) Sleeps() int { v.mu.Lock(); defer v.mu.Unlock(); return v.sleeps }

// throttledServer serves the echo interface with real NTLM, counting the
// credential checks, under throttle th.
func throttledServer(t *testing.T, th *rpc.LogonThrottle, events func(rpc.SecurityEvent)) (string, *atomic.Int64) {
	t.Helper()
	var checks atomic.Int64
	cfg := srvConfig()
	cfg.Creds = ntlm.CredentialFunc(func(user, domain string) (ntlm.Account, bool) {
		checks.Add(1)
		return testCreds.Lookup(user, domain)
	})
	s := rpc.NewServer(&rpc.ServerConfig{Acceptors: []rpc.Acceptor{ntlm.Acceptor{Config: cfg}},
		MinLevel: rpc.AuthLevelPrivacy, Logger: quiet(), Throttle: th, OnSecurityEvent: events})
	if err := s.Register(rpc.Interface{UUID: ntlmIface.UUID, Major: ntlmIface.Major, Handler: (&seenCalls{}).handler()}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return l.Addr().String(), &checks
}

// logon dials from local and authenticates as alice with pass, then
// makes one call; it reports whether the call succeeded.
func logon(t *testing.T, addr, local, pass string) bool {
	t.Helper()
	nc, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewConn(nc, nil)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pc, err := c.Bind(ctx, ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: providers[0].initiator("alice", pass), Level: rpc.AuthLevelPrivacy}})
	if err != nil {
		return false
	}
	_, err = c.Call(ctx, pc, echoOpnum, nil, []byte("hi"))
	return err == nil
}

// TestThrottleGuessRate is point 5: guesses per second accepted from one
// address over real NTLM, against an unthrottled baseline in the same run.
func TestThrottleGuessRate(t *testing.T) {
	// Baseline: a throttle that never waits.
	addr, checks := throttledServer(t, fastThrottle(), nil)
	start := time.Now()
	const baseN = 200
	for range baseN {
		if logon(t, addr, "127.0.0.5", "wrong") {
			t.Fatal("wrong password accepted")
		}
	}
	baseRate := float64(checks.Load()) / time.Since(start).Seconds()

	// Hardened (defaults) on a virtual clock: the attacker retries every
	// second of virtual time for 10 virtual minutes.
	v := &vclock{t: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	var evMu sync.Mutex
	var events []rpc.SecurityEvent
	th := rpc.NewLogonThrottle(&rpc.ThrottleConfig{Now: v.Now, Sleep: v.Sleep})
	addr, checks = throttledServer(t, th, func(e rpc.SecurityEvent) { evMu.Lock(); events = append(events, e); evMu.Unlock() })
	v0 := v.Now()
	attempts := 0
	for v.Now().Sub(v0) < 10*time.Minute {
		if logon(t, addr, "127.0.0.5", "wrong") {
			t.Fatal("wrong password accepted")
		}
		attempts++
		v.Advance(time.Second)
		if attempts == 100 {
			// Meanwhile: a correct logon from a clean address, not delayed.
			s0 := v.Sleeps()
			if !logon(t, addr, "127.0.0.7", alicePass) {
				t.Fatal("correct logon from a clean address refused during the attack")
			}
			if v.Sleeps() != s0 {
				t.Fatal("correct logon from a clean address was delayed")
			}
			// A first wrong password from another address is not delayed either.
			if logon(t, addr, "127.0.0.8", "typo") || v.Sleeps() != s0 {
				t.Fatal("another address was delayed")
			}
		}
	}
	el := v.Now().Sub(v0)
	checked := checks.Load() - 2 // the two from the other addresses
	rate := float64(checked) / el.Seconds()
	t.Logf("baseline (no throttle): %d wrong passwords in a row from one address: %.0f guesses/s checked", baseN, baseRate)
	t.Logf("throttled: %d attempts over %v (virtual) from one address, %d checked: %.4f guesses/s (%.5f of baseline)",
		attempts, el.Round(time.Second), checked, rate, rate/baseRate)
	if rate > 0.1 {
		t.Errorf("%.3f guesses/s accepted from one address", rate)
	}
	s, ok := th.Flush()
	if !ok || s.Throttled == 0 {
		t.Errorf("summary: %+v", s)
	}
	t.Logf("summary: %s", s)
	evMu.Lock()
	defer evMu.Unlock()
	// Each checked failure is an event; throttled attempts are only
	// counted in the summaries (so a flood cannot flood the audit trail).
	var bad int
	for _, e := range events {
		if e.Kind != "logon" || e.Mechanism != "NTLM" || e.Remote == "" || e.Reason != "bad credentials" ||
			errors.Is(e.Err, rpc.ErrLogonThrottled) {
			t.Fatalf("event %+v", e)
		}
		if e.User != ntlmDomain+`\alice` {
			t.Fatalf("event user %q", e.User)
		}
		bad++
	}
	if int64(bad) != checks.Load()-1 { // one check was the correct logon
		t.Fatalf("events: %d bad credentials for %d checks", bad, checks.Load())
	}
}
