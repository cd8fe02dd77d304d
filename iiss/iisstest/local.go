package iisstest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/svctest"
)

// LocalControl controls an iiss.Local built by [NewLocal]: the
// svctest.Fake manager behind it, an in-memory disable switch and a
// recording Rebooter.
type LocalControl struct {
	Manager   *svctest.Fake
	specs     []svctest.Spec
	hangStart atomic.Bool
	disabled  atomic.Bool
	mu        sync.Mutex
	reboots   []RebootCall
}

// NewLocal builds iiss.Local over a fresh svctest.Fake with cfg's
// services. opts may carry an Auditor or other settings; Disable and
// (when cfg.RebootEnabled) Rebooter are set by the harness.
func NewLocal(t *testing.T, cfg Config, opts iiss.LocalOptions) (*iiss.Local, *LocalControl) {
	c := &LocalControl{Manager: svctest.NewFake(cfg.Specs...), specs: cfg.Specs}
	t.Cleanup(func() { c.Manager.Close() })
	opts.Disable = disableFunc(func() (bool, error) { return c.disabled.Load(), nil })
	if cfg.RebootEnabled {
		opts.Rebooter = func(ctx context.Context, grace time.Duration, force bool) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.reboots = append(c.reboots, RebootCall{Grace: grace, Force: force})
			return nil
		}
	}
	return iiss.NewLocal(&hangStartManager{Fake: c.Manager, hang: &c.hangStart}, opts), c
}

// LocalFactory is a Factory for iiss.Local over svctest.Fake.
func LocalFactory(t *testing.T, cfg Config) (iiss.Service, Control) {
	l, c := NewLocal(t, cfg, iiss.LocalOptions{KillTimeout: 2 * time.Second})
	return l, c
}

// FakeFactory is a Factory for Fake.
func FakeFactory(t *testing.T, cfg Config) (iiss.Service, Control) {
	f := NewFake(cfg.Specs, cfg.RebootEnabled)
	return f, f
}

func (c *LocalControl) HangStop(hang bool) {
	for _, sp := range c.specs {
		c.Manager.HangStop(sp.Name, hang)
	}
}
func (c *LocalControl) HangStart(hang bool) { c.hangStart.Store(hang) }
func (c *LocalControl) FailKill(err error)  { c.Manager.FailKill(err) }
func (c *LocalControl) SetDisabled(d bool)  { c.disabled.Store(d) }
func (c *LocalControl) Reboots() []RebootCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]RebootCall(nil), c.reboots...)
}

type disableFunc func() (bool, error)

func (f disableFunc) Disabled() (bool, error) { return f() }

// hangStartManager makes Start wait for its deadline while hang is set.
type hangStartManager struct {
	*svctest.Fake
	hang *atomic.Bool
}

var _ svc.Manager = (*hangStartManager)(nil)

func (m *hangStartManager) Start(ctx context.Context) error {
	if m.hang.Load() {
		<-ctx.Done()
		return fmt.Errorf("iisstest: start hangs: %w", ctx.Err())
	}
	return m.Fake.Start(ctx)
}
