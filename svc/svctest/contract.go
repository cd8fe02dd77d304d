package svctest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/iisctl/iisctl/svc"
)

// TestManager runs the Manager contract against the backend h adapts.
// It takes a few seconds; subtests run one after another.
func TestManager(t *testing.T, h Harness) {
	t.Run("Services", h.testServices)
	t.Run("StartStop", h.testStartStop)
	t.Run("Idempotent", h.testIdempotent)
	t.Run("StopTimeoutThenKill", h.testStopTimeout)
	t.Run("Kill", h.testKill)
	t.Run("ExitCode", h.testExitCode)
	t.Run("CrashWhileStarting", h.testCrashWhileStarting)
}

func (h Harness) testServices(t *testing.T) {
	specs := Standard()
	m := h.newManager(t, specs...)
	first := services(t, m)
	if len(first) != len(specs) {
		t.Fatalf("Services returned %d services, want %d: %+v", len(first), len(specs), first)
	}
	got := byName(first)
	for _, sp := range specs {
		checkListed(t, got, sp)
	}
	second := services(t, m)
	for i := range first {
		if second[i].Name != first[i].Name {
			t.Fatalf("order not stable: %q then %q at %d", first[i].Name, second[i].Name, i)
		}
	}
}

func checkListed(t *testing.T, got map[string]svc.Status, sp Spec) {
	t.Helper()
	s, ok := got[sp.Name]
	switch {
	case !ok:
		t.Errorf("%s not listed", sp.Name)
	case s.DisplayName != sp.DisplayName:
		t.Errorf("%s: DisplayName %q, want %q", sp.Name, s.DisplayName, sp.DisplayName)
	case s.StartType != sp.StartType:
		t.Errorf("%s: StartType %v, want %v", sp.Name, s.StartType, sp.StartType)
	case !slices.Equal(s.Dependencies, sp.DependsOn) && len(s.Dependencies)+len(sp.DependsOn) > 0:
		t.Errorf("%s: Dependencies %v, want %v", sp.Name, s.Dependencies, sp.DependsOn)
	case s.Type&(svc.TypeOwnProcess|svc.TypeShareProcess) == 0:
		t.Errorf("%s: Type %#x is not a Win32 service type", sp.Name, s.Type)
	case s.State != svc.Stopped || s.ProcessID != 0:
		t.Errorf("%s: fresh service is %v with pid %d, want Stopped with pid 0", sp.Name, s.State, s.ProcessID)
	}
}

func (h Harness) testStartStop(t *testing.T) {
	m := h.newManager(t, Web(), Worker(), OnDemand())
	for round := range 2 { // a stopped set must start again
		w := watch(m)
		mustStart(t, m)
		startSnaps, errs := w.finish()
		checkWatchErrors(t, errs)
		st := byName(services(t, m))
		checkRunning(t, st, "web", "worker")
		checkStopped(t, st, "ondemand")
		checkStartOrder(t, startSnaps)
		h.checkPending(t, startSnaps, round == 0)

		w = watch(m)
		mustStop(t, m)
		stopSnaps, errs := w.finish()
		checkWatchErrors(t, errs)
		st = byName(services(t, m))
		checkStopped(t, st, "web", "worker", "ondemand")
		checkCleanExit(t, st, "web", "worker")
		checkStopOrder(t, stopSnaps)
		h.checkPending(t, stopSnaps, false)
	}
}

func (h Harness) testIdempotent(t *testing.T) {
	m := h.newManager(t, Web())
	mustStop(t, m) // stopping what is stopped is not an error
	ctx, cancel := timeout(killWait)
	defer cancel()
	if err := m.Kill(ctx); err != nil {
		t.Fatalf("Kill with nothing running: %v", err)
	}
	mustStart(t, m)
	pid := byName(services(t, m))["web"].ProcessID
	mustStart(t, m) // starting what runs is not an error and changes nothing
	if again := byName(services(t, m))["web"]; again.State != svc.Running || again.ProcessID != pid {
		t.Fatalf("second Start changed web: %v pid %d, was Running pid %d", again.State, again.ProcessID, pid)
	}
	mustStop(t, m)
	mustStop(t, m)
	checkStopped(t, byName(services(t, m)), "web")
}

func (h Harness) testStopTimeout(t *testing.T) {
	m := h.newManager(t, Standard()...)
	mustStart(t, m)
	h.waitExec(t, byName(services(t, m))["stubborn"], "sleep") // SIGTERM ignored from here on
	ctx, cancel := timeout(stopShort)
	err := m.Stop(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop with a stubborn service: %v, want an error wrapping context.DeadlineExceeded", err)
	}
	st := waitFor(t, m, opWait, "web and worker to stop", func(st map[string]svc.Status) bool {
		return st["web"].State == svc.Stopped && st["worker"].State == svc.Stopped
	})
	h.checkStubbornPending(t, st["stubborn"])
	mustKill(t, m)
	waitFor(t, m, killWait, "everything stopped after Kill", allStopped)
}

func (h Harness) checkStubbornPending(t *testing.T, s svc.Status) {
	t.Helper()
	if s.State == svc.Stopped {
		t.Fatalf("stubborn is Stopped after a timed-out Stop; the backend must not escalate on its own")
	}
	if !h.ReportsPending {
		return
	}
	if s.State != svc.StopPending || s.CheckPoint == 0 || s.WaitHint == 0 {
		t.Fatalf("stubborn after a timed-out Stop: %v CheckPoint %d WaitHint %d, want StopPending with both non-zero",
			s.State, s.CheckPoint, s.WaitHint)
	}
}

func (h Harness) testKill(t *testing.T) {
	m := h.newManager(t, Standard()...)
	for range 2 { // a killed set must start again
		mustStart(t, m)
		st := byName(services(t, m))
		checkRunning(t, st, "web", "worker", "stubborn")
		mustKill(t, m)
		waitFor(t, m, killWait, "everything stopped after Kill", allStopped)
		for _, n := range []string{"web", "worker", "stubborn"} {
			h.checkGone(t, st[n])
		}
	}
}

func (h Harness) testExitCode(t *testing.T) {
	m := h.newManager(t, Exits3())
	mustStart(t, m)
	s := waitFor(t, m, ExitDelay+opWait, "exits3 to stop", stateIs("exits3", svc.Stopped))["exits3"]
	checkExit(t, s, svc.ExitServiceSpecificError, 3)
}

func (h Harness) testCrashWhileStarting(t *testing.T) {
	m := h.newManager(t, CrashStart())
	ctx, cancel := timeout(opWait)
	err := m.Start(ctx)
	cancel()
	if h.DetectsStartCrash && err == nil {
		t.Errorf("Start of a service that crashes while starting returned nil")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start of a service that crashes while starting timed out: %v", err)
	}
	s := waitFor(t, m, opWait, "crashstart to stop", stateIs("crashstart", svc.Stopped))["crashstart"]
	checkExit(t, s, svc.ExitServiceSpecificError, 4)
}
