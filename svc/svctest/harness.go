package svctest

import (
	"testing"

	"github.com/iisctl/iisctl/svc"
)

// Harness adapts a backend to the contract suite.
type Harness struct {
	// New returns a fresh Manager whose services are exactly specs, in
	// that order, none of them running. Each Spec's process must run
	// Spec.Command(); the Manager must report Spec.Name, DisplayName,
	// StartType and DependsOn unchanged. An IgnoreTERM service must get
	// a stop timeout of at least 10 s (the suite expects Stop to time out,
	// not to escalate). A start window, if any, must not exceed
	// MaxStartWindow. The suite Kills and Closes the Manager when the
	// test ends; New registers any further cleanup with t.Cleanup.
	New func(t *testing.T, specs []Spec) svc.Manager

	// ReportsPending: the backend reports StartPending/StopPending with
	// CheckPoint >= 1 and WaitHint > 0 while an operation is under way.
	// When set, the suite requires StopPending for a service whose stop
	// timed out, and at least one StartPending observed during Start.
	// Whatever the setting, observed pending states must carry a
	// CheckPoint that never falls within one pending stretch.
	ReportsPending bool

	// DetectsStartCrash: Start returns an error when a service exits
	// before it counts as started. Backends that consider a service
	// started as soon as its process runs (systemd Type=simple) leave it
	// false; the suite then only checks the final state.
	DetectsStartCrash bool

	// SimulatedProcesses: the ProcessIDs the backend reports are not real
	// local processes (the Fake). Otherwise the suite reads /proc/PID to
	// see that a service's process runs (and has exec'd its final
	// program) and that killed processes are gone.
	SimulatedProcesses bool
}

func (h Harness) newManager(t *testing.T, specs ...Spec) svc.Manager {
	t.Helper()
	m := h.New(t, specs)
	t.Cleanup(func() {
		ctx, cancel := timeout(killWait)
		defer cancel()
		if err := m.Kill(ctx); err != nil {
			t.Errorf("cleanup Kill: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}
