package svctest

import (
	"context"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Time budgets of the suite.
const (
	opWait    = 5 * time.Second        // Start/Stop of well-behaved services
	killWait  = 5 * time.Second        // Kill and the state change after it
	stopShort = 2 * time.Second        // Stop deadline that a stubborn service overruns
	pollEvery = 5 * time.Millisecond   // polling in tests only
	watchStep = 5 * time.Millisecond   // pending-state watcher period
	settle    = 100 * time.Millisecond // grace for a state to show after an event
)

func timeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

func services(t *testing.T, m svc.Manager) []svc.Status {
	t.Helper()
	ctx, cancel := timeout(opWait)
	defer cancel()
	st, err := m.Services(ctx)
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	return st
}

func byName(st []svc.Status) map[string]svc.Status {
	out := make(map[string]svc.Status, len(st))
	for _, s := range st {
		out[s.Name] = s
	}
	return out
}

// waitFor polls Services until cond holds or d passes; it returns the last
// snapshot and fails the test on timeout.
func waitFor(t *testing.T, m svc.Manager, d time.Duration, what string, cond func(map[string]svc.Status) bool) map[string]svc.Status {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st := byName(services(t, m))
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last status: %+v", d, what, st)
		}
		time.Sleep(pollEvery)
	}
}

// allStopped is a waitFor condition.
func allStopped(st map[string]svc.Status) bool {
	for _, s := range st {
		if s.State != svc.Stopped || s.ProcessID != 0 {
			return false
		}
	}
	return true
}

func stateIs(name string, want svc.State) func(map[string]svc.Status) bool {
	return func(st map[string]svc.Status) bool { return st[name].State == want }
}
