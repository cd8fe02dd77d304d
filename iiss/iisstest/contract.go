package iisstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/svctest"
)

// Config describes the backend a Factory builds.
type Config struct {
	Specs         []svctest.Spec // services, in Status order, all stopped
	RebootEnabled bool           // Reboot works (else E_NOTIMPL)
}

// Factory builds a Service and the Control of its backend. The wire
// client's factory wraps iiss.Local from [NewLocal] in an in-process DCOM
// server and returns the LocalControl.
type Factory func(t *testing.T, cfg Config) (iiss.Service, Control)

// short is the timeout for calls expected to time out.
const short = 150 * time.Millisecond

// long is the timeout for calls expected to succeed.
const long = 5 * time.Second

// TestService runs the iiss.Service contract against f.
func TestService(t *testing.T, f Factory) {
	t.Run("Status", func(t *testing.T) { testStatus(t, f) })
	t.Run("StartStop", func(t *testing.T) { testStartStop(t, f) })
	t.Run("StopTimeout", func(t *testing.T) { testStopTimeout(t, f) })
	t.Run("StopForced", func(t *testing.T) { testStopForced(t, f) })
	t.Run("StopForcedKillFails", func(t *testing.T) { testStopForcedKillFails(t, f) })
	t.Run("StartTimeout", func(t *testing.T) { testStartTimeout(t, f) })
	t.Run("Kill", func(t *testing.T) { testKill(t, f) })
	t.Run("RebootNotImplemented", func(t *testing.T) { testRebootNotImpl(t, f) })
	t.Run("RebootEnabled", func(t *testing.T) { testRebootEnabled(t, f) })
	t.Run("Disabled", func(t *testing.T) { testDisabled(t, f) })
}

func standard() Config {
	return Config{Specs: []svctest.Spec{svctest.Web(), svctest.Worker(), svctest.OnDemand()}}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func status(t *testing.T, s iiss.Service) map[string]iiss.ServiceStatus {
	t.Helper()
	list, err := s.Status(ctx(t))
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	m := map[string]iiss.ServiceStatus{}
	for _, st := range list {
		m[st.Name] = st
	}
	return m
}

func wantState(t *testing.T, s iiss.Service, state svc.State, names ...string) {
	t.Helper()
	st := status(t, s)
	for _, n := range names {
		if st[n].State != state {
			t.Errorf("%s is %v, want %v", n, st[n].State, state)
		}
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: %v, want %v", what, err, target)
	}
	var hr iiss.HRESULT
	if !errors.As(err, &hr) {
		t.Fatalf("%s: %v carries no HRESULT", what, err)
	}
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testStatus(t *testing.T, f Factory) {
	cfg := standard()
	s, _ := f(t, cfg)
	list, err := s.Status(ctx(t))
	mustOK(t, "Status", err)
	if len(list) != len(cfg.Specs) {
		t.Fatalf("Status returned %d services, want %d", len(list), len(cfg.Specs))
	}
	for i, sp := range cfg.Specs {
		got := list[i]
		if got.Name != sp.Name || got.DisplayName != sp.DisplayName || got.State != svc.Stopped {
			t.Errorf("entry %d: %+v, want %s/%q Stopped", i, got, sp.Name, sp.DisplayName)
		}
		if got.Type&(svc.TypeOwnProcess|svc.TypeShareProcess) == 0 {
			t.Errorf("%s: type %#x", got.Name, got.Type)
		}
	}
}

func testStartStop(t *testing.T, f Factory) {
	s, _ := f(t, standard())
	mustOK(t, "Start", s.Start(ctx(t), long))
	wantState(t, s, svc.Running, "web", "worker")
	wantState(t, s, svc.Stopped, "ondemand")
	if st := status(t, s)["web"]; st.ControlsAccepted&svc.AcceptStop == 0 {
		t.Errorf("running web does not accept stop: %#x", st.ControlsAccepted)
	}
	mustOK(t, "Stop", s.Stop(ctx(t), long, false))
	wantState(t, s, svc.Stopped, "web", "worker", "ondemand")
	mustOK(t, "Start again", s.Start(ctx(t), long))
	wantState(t, s, svc.Running, "web", "worker")
}

func testStopTimeout(t *testing.T, f Factory) {
	s, c := f(t, standard())
	mustOK(t, "Start", s.Start(ctx(t), long))
	c.HangStop(true)
	start := time.Now()
	wantErr(t, "Stop without force", s.Stop(ctx(t), short, false), iiss.ErrServiceRequestTimeout)
	if d := time.Since(start); d < short/2 {
		t.Errorf("Stop returned after %v, before its %v timeout", d, short)
	}
	if st := status(t, s)["web"]; st.State == svc.Stopped {
		t.Errorf("web Stopped although its stop hangs and force was not set")
	}
	c.HangStop(false)
	mustOK(t, "Kill", s.Kill(ctx(t)))
}

func testStopForced(t *testing.T, f Factory) {
	s, c := f(t, standard())
	mustOK(t, "Start", s.Start(ctx(t), long))
	c.HangStop(true)
	mustOK(t, "Stop with force", s.Stop(ctx(t), short, true))
	wantState(t, s, svc.Stopped, "web", "worker", "ondemand")
}

func testStopForcedKillFails(t *testing.T, f Factory) {
	s, c := f(t, standard())
	mustOK(t, "Start", s.Start(ctx(t), long))
	c.HangStop(true)
	c.FailKill(errors.New("injected kill failure"))
	wantErr(t, "Stop with force, kill failing", s.Stop(ctx(t), short, true), iiss.ErrServiceRequestTimeout)
	c.FailKill(nil)
	c.HangStop(false)
	mustOK(t, "Kill", s.Kill(ctx(t)))
}

func testStartTimeout(t *testing.T, f Factory) {
	s, c := f(t, standard())
	c.HangStart(true)
	err := s.Start(ctx(t), short)
	wantErr(t, "Start", err, iiss.ErrServiceRequestTimeout)
	if !errors.Is(err, iiss.HRESULT(0x8000041D)) {
		t.Errorf("%v does not match the 0x8000041D spelling", err)
	}
}

func testKill(t *testing.T, f Factory) {
	s, _ := f(t, standard())
	mustOK(t, "Start", s.Start(ctx(t), long))
	mustOK(t, "Kill", s.Kill(ctx(t)))
	wantState(t, s, svc.Stopped, "web", "worker")
	mustOK(t, "Kill with nothing running", s.Kill(ctx(t)))
}

func testRebootNotImpl(t *testing.T, f Factory) {
	s, c := f(t, standard())
	wantErr(t, "Reboot", s.Reboot(ctx(t), time.Second, true), iiss.ErrNotImpl)
	if r := c.Reboots(); len(r) != 0 {
		t.Errorf("rebooter called: %v", r)
	}
}

func testRebootEnabled(t *testing.T, f Factory) {
	cfg := standard()
	cfg.RebootEnabled = true
	s, c := f(t, cfg)
	mustOK(t, "Reboot", s.Reboot(ctx(t), 1500*time.Millisecond, true))
	r := c.Reboots()
	if len(r) != 1 || r[0] != (RebootCall{Grace: 1500 * time.Millisecond, Force: true}) {
		t.Fatalf("rebooter got %+v", r)
	}
}

func testDisabled(t *testing.T, f Factory) {
	cfg := standard()
	cfg.RebootEnabled = true
	s, c := f(t, cfg)
	mustOK(t, "Start", s.Start(ctx(t), long))
	c.SetDisabled(true)
	_, err := s.Status(ctx(t))
	wantErr(t, "Status", err, iiss.ErrResourceDisabled)
	wantErr(t, "Stop", s.Stop(ctx(t), long, true), iiss.ErrResourceDisabled)
	wantErr(t, "Kill", s.Kill(ctx(t)), iiss.ErrResourceDisabled)
	wantErr(t, "Reboot", s.Reboot(ctx(t), long, true), iiss.ErrResourceDisabled)
	wantErr(t, "Start", s.Start(ctx(t), long), iiss.ErrResourceDisabled)
	c.SetDisabled(false)
	wantState(t, s, svc.Running, "web", "worker") // nothing was stopped
	if r := c.Reboots(); len(r) != 0 {
		t.Errorf("rebooter called while disabled: %v", r)
	}
	mustOK(t, "Stop after enabling", s.Stop(ctx(t), long, false))
	// Start while disabled must not start anything.
	c.SetDisabled(true)
	_ = s.Start(ctx(t), long)
	c.SetDisabled(false)
	wantState(t, s, svc.Stopped, "web", "worker")
}
