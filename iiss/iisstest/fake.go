package iisstest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/svctest"
)

// Control drives the backend behind a Service under test.
type Control interface {
	// HangStop makes graceful stops never finish: running services stay
	// StopPending until killed.
	HangStop(hang bool)
	// HangStart makes starts never finish.
	HangStart(hang bool)
	// FailKill makes kills fail with err (nil clears it).
	FailKill(err error)
	// SetDisabled flips the local disable switch.
	SetDisabled(disabled bool)
	// Reboots lists the reboots requested so far.
	Reboots() []RebootCall
}

// RebootCall is one request the Rebooter received.
type RebootCall struct {
	Grace time.Duration
	Force bool
}

// Fake is an in-memory iiss.Service with the server semantics of
// iiss.Local and no svc.Manager behind it. It is its own Control.
type Fake struct {
	mu        sync.Mutex
	services  []iiss.ServiceStatus
	auto      []bool
	hangStop  bool
	hangStart bool
	killErr   error
	disabled  bool
	reboot    bool
	reboots   []RebootCall
}

// NewFake returns a Fake with specs' services, all stopped. reboot
// enables Reboot (otherwise E_NOTIMPL).
func NewFake(specs []svctest.Spec, reboot bool) *Fake {
	f := &Fake{reboot: reboot}
	for _, sp := range specs {
		f.services = append(f.services, iiss.ServiceStatus{Name: sp.Name, DisplayName: sp.DisplayName,
			Type: svc.TypeOwnProcess, State: svc.Stopped})
		f.auto = append(f.auto, sp.StartType == svc.AutoStart)
	}
	return f
}

var (
	_ iiss.Service = (*Fake)(nil)
	_ Control      = (*Fake)(nil)
)

func (f *Fake) HangStop(h bool)    { f.mu.Lock(); f.hangStop = h; f.mu.Unlock() }
func (f *Fake) HangStart(h bool)   { f.mu.Lock(); f.hangStart = h; f.mu.Unlock() }
func (f *Fake) FailKill(err error) { f.mu.Lock(); f.killErr = err; f.mu.Unlock() }
func (f *Fake) SetDisabled(d bool) { f.mu.Lock(); f.disabled = d; f.mu.Unlock() }
func (f *Fake) Reboots() []RebootCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]RebootCall(nil), f.reboots...)
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return context.DeadlineExceeded
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop implements iiss.Service.
func (f *Fake) Stop(ctx context.Context, timeout time.Duration, force bool) error {
	f.mu.Lock()
	if f.disabled {
		f.mu.Unlock()
		return iiss.ErrResourceDisabled
	}
	hang := f.hangStop
	f.setState(svc.Stopped, !hang)
	f.mu.Unlock()
	if !hang {
		return nil
	}
	err := wait(ctx, timeout)
	if force {
		if kerr := f.Kill(context.WithoutCancel(ctx)); kerr == nil {
			return nil
		}
	}
	return fmt.Errorf("iisstest: stop: %w: %w", iiss.ErrServiceRequestTimeout, err)
}

// setState moves running services to state; when !done they become
// StopPending instead. Call with f.mu held.
func (f *Fake) setState(state svc.State, done bool) {
	for i := range f.services {
		s := &f.services[i]
		if state == svc.Stopped && s.State != svc.Stopped {
			s.State, s.ControlsAccepted = svc.Stopped, 0
			if !done {
				s.State, s.CheckPoint, s.WaitHint = svc.StopPending, 1, 10000
			}
		}
	}
}

// Start implements iiss.Service.
func (f *Fake) Start(ctx context.Context, timeout time.Duration) error {
	f.mu.Lock()
	if f.disabled {
		f.mu.Unlock()
		return iiss.ErrResourceDisabled
	}
	hang := f.hangStart
	if !hang {
		for i := range f.services {
			if f.auto[i] {
				s := &f.services[i]
				s.State, s.ControlsAccepted, s.CheckPoint, s.WaitHint = svc.Running, svc.AcceptStop|svc.AcceptShutdown, 0, 0
			}
		}
	}
	f.mu.Unlock()
	if hang {
		return fmt.Errorf("iisstest: start: %w: %w", iiss.ErrServiceRequestTimeout, wait(ctx, timeout))
	}
	return nil
}

// Reboot implements iiss.Service.
func (f *Fake) Reboot(ctx context.Context, timeout time.Duration, force bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.disabled:
		return iiss.ErrResourceDisabled
	case !f.reboot:
		return iiss.ErrNotImpl
	}
	f.reboots = append(f.reboots, RebootCall{Grace: timeout, Force: force})
	return nil
}

// Status implements iiss.Service.
func (f *Fake) Status(ctx context.Context) ([]iiss.ServiceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.disabled {
		return nil, iiss.ErrResourceDisabled
	}
	return append([]iiss.ServiceStatus(nil), f.services...), nil
}

// Kill implements iiss.Service.
func (f *Fake) Kill(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.disabled:
		return iiss.ErrResourceDisabled
	case f.killErr != nil:
		return fmt.Errorf("iisstest: kill: %w: %w", iiss.ErrFail, f.killErr)
	}
	for i := range f.services {
		s := &f.services[i]
		s.State, s.ControlsAccepted, s.CheckPoint, s.WaitHint = svc.Stopped, 0, 0, 0
	}
	return nil
}
