package svctest

import (
	"context"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
)

func mustStart(t *testing.T, m svc.Manager) {
	t.Helper()
	ctx, cancel := timeout(opWait)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func mustStop(t *testing.T, m svc.Manager) {
	t.Helper()
	ctx, cancel := timeout(opWait)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func mustKill(t *testing.T, m svc.Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), killWait)
	defer cancel()
	if err := m.Kill(ctx); err != nil {
		t.Fatalf("Kill: %v", err)
	}
}

func checkRunning(t *testing.T, st map[string]svc.Status, names ...string) {
	t.Helper()
	for _, n := range names {
		s := st[n]
		if s.State != svc.Running || s.ProcessID == 0 || s.ControlsAccepted&svc.AcceptStop == 0 {
			t.Errorf("%s: %v pid %d controls %#x, want Running with a pid, accepting stop",
				n, s.State, s.ProcessID, s.ControlsAccepted)
		}
		if s.Since.IsZero() || time.Until(s.Since) > time.Minute {
			t.Errorf("%s: Running since %v, want when it entered Running", n, s.Since)
		}
	}
}

func checkStopped(t *testing.T, st map[string]svc.Status, names ...string) {
	t.Helper()
	for _, n := range names {
		if s := st[n]; s.State != svc.Stopped || s.ProcessID != 0 {
			t.Errorf("%s: %v pid %d, want Stopped with pid 0", n, s.State, s.ProcessID)
		}
	}
}

func checkCleanExit(t *testing.T, st map[string]svc.Status, names ...string) {
	t.Helper()
	for _, n := range names {
		checkExit(t, st[n], svc.ExitOK, 0)
	}
}

func checkExit(t *testing.T, s svc.Status, win32, specific uint32) {
	t.Helper()
	if s.State != svc.Stopped || s.ProcessID != 0 {
		t.Errorf("%s: %v pid %d, want Stopped with pid 0", s.Name, s.State, s.ProcessID)
	}
	if s.Win32ExitCode != win32 || (win32 == svc.ExitServiceSpecificError && s.ServiceSpecificExitCode != specific) {
		t.Errorf("%s: Win32ExitCode %d ServiceSpecificExitCode %d, want %d and %d",
			s.Name, s.Win32ExitCode, s.ServiceSpecificExitCode, win32, specific)
	}
}

func checkWatchErrors(t *testing.T, errs []error) {
	t.Helper()
	if len(errs) > 0 {
		t.Errorf("Services failed while an operation ran: %v", errs[0])
	}
}

// checkStartOrder: whenever worker has begun starting, web is Running.
func checkStartOrder(t *testing.T, snaps []map[string]svc.Status) {
	t.Helper()
	for i, st := range snaps {
		if st["worker"].State != svc.Stopped && st["web"].State != svc.Running {
			t.Errorf("snapshot %d: worker is %v while web is %v", i, st["worker"].State, st["web"].State)
			return
		}
	}
}

// checkStopOrder: whenever web has begun stopping, worker is Stopped.
func checkStopOrder(t *testing.T, snaps []map[string]svc.Status) {
	t.Helper()
	for i, st := range snaps {
		if st["web"].State != svc.Running && st["worker"].State != svc.Stopped {
			t.Errorf("snapshot %d: web is %v while worker is %v", i, st["web"].State, st["worker"].State)
			return
		}
	}
}

// checkPending checks CheckPoint never falls within a pending stretch and,
// for backends that report pending states, that pending states carry a
// CheckPoint and WaitHint; requireStart demands a StartPending was seen.
func (h Harness) checkPending(t *testing.T, snaps []map[string]svc.Status, requireStart bool) {
	t.Helper()
	last := map[string]svc.Status{}
	sawStart := false
	for _, st := range snaps {
		for name, s := range st {
			prev := last[name]
			last[name] = s
			if !pending(s.State) {
				continue
			}
			sawStart = sawStart || s.State == svc.StartPending
			if prev.State == s.State && s.CheckPoint < prev.CheckPoint {
				t.Errorf("%s: CheckPoint fell from %d to %d while %v", name, prev.CheckPoint, s.CheckPoint, s.State)
			}
			if h.ReportsPending && (s.CheckPoint == 0 || s.WaitHint == 0) {
				t.Errorf("%s: %v with CheckPoint %d WaitHint %d", name, s.State, s.CheckPoint, s.WaitHint)
			}
		}
	}
	if h.ReportsPending && requireStart && !sawStart {
		t.Errorf("no StartPending observed during Start")
	}
}
