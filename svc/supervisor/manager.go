package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// ErrClosed is returned by a Manager's methods after Close.
var ErrClosed = errors.New("supervisor: manager closed")

// shutdownKillWait bounds the Kill that Shutdown falls back to.
const shutdownKillWait = 5 * time.Second

// Manager supervises the configured services; it implements svc.Manager.
// All state lives under mu; every change closes and replaces changed, so
// waiters can also watch their context.
type Manager struct {
	clock     Clock
	log       *slog.Logger
	listProcs func() ([]Proc, error)
	killExtra []string
	signal    func(pid int, sig syscall.Signal) error // syscall.Kill; a test hook
	stateDir  string

	ctx    context.Context // canceled by Close; parent of every run's context
	cancel context.CancelFunc

	mu         sync.Mutex
	changed    chan struct{}
	closed     bool
	order      []*service
	byName     map[string]*service
	dependents map[string][]string
}

var _ svc.Manager = (*Manager)(nil)

// New checks cfg and returns a Manager with every service Stopped. It
// starts nothing. Errors: an empty or duplicate name, an empty command,
// an unknown dependency, a dependency cycle, a User while not root.
func New(cfg Config) (*Manager, error) {
	if err := checkGraph(cfg.Services); err != nil {
		return nil, err
	}
	m := &Manager{clock: cfg.Clock, listProcs: cfg.ListProcs, killExtra: cfg.KillExtra, signal: syscall.Kill,
		changed: make(chan struct{}), byName: map[string]*service{}, dependents: map[string][]string{}}
	if m.clock == nil {
		m.clock = realClock{}
	}
	m.log = cfg.Logger
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.listProcs == nil {
		m.listProcs = ScanProc
	}
	for _, c := range cfg.Services {
		if err := c.validate(); err != nil {
			return nil, err
		}
		s := &service{cfg: c.withDefaults(cfg.LogDir), state: svc.Stopped}
		s.logPath = s.cfg.logFile()
		m.order = append(m.order, s)
		m.byName[c.Name] = s
		for _, d := range c.DependsOn {
			m.dependents[d] = append(m.dependents[d], c.Name)
		}
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if m.stateDir = cfg.StateDir; m.stateDir != "" {
		if err := os.MkdirAll(m.stateDir, 0o700); err != nil {
			return nil, fmt.Errorf("supervisor: state directory: %w", err)
		}
		if n := m.reapLeftovers(); n > 0 {
			m.log.Warn("killed processes a previous iissd left running", "processes", n)
		}
	}
	return m, nil
}

// Services implements svc.Manager: every service in configuration order.
func (m *Manager) Services(ctx context.Context) ([]svc.Status, error) {
	out, err := m.Snapshot()
	if err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

var _ svc.Snapshotter = (*Manager)(nil)

// Snapshot implements svc.Snapshotter: Services answers from memory,
// under the Manager's lock, without waiting.
func (m *Manager) Snapshot() ([]svc.Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	now := m.clock.Now()
	out := make([]svc.Status, len(m.order))
	for i, s := range m.order {
		out[i] = s.status(now)
	}
	return out, nil
}

// Close implements svc.Manager. It releases the Manager without touching
// the processes: restarts, start checks and pending SIGKILL escalations
// are cancelled, running services keep running (still iissd's children),
// and every method then returns ErrClosed. The goroutine waiting on each
// child ends when that child exits. Use Shutdown to stop everything.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	m.cancel()
	for _, s := range m.order {
		s.stopTimers()
	}
	m.broadcast()
	return nil
}

// Shutdown stops every service within ctx; if that fails it kills them
// (allowing itself up to 5 s more), then closes the Manager. It returns
// the Stop error, if any, joined with a Kill error.
func (m *Manager) Shutdown(ctx context.Context) error {
	err := m.Stop(ctx)
	if err != nil && !errors.Is(err, ErrClosed) {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownKillWait)
		defer cancel()
		err = errors.Join(err, m.Kill(kctx))
	}
	return errors.Join(err, m.Close())
}

// broadcast wakes every waiter; mu must be held.
func (m *Manager) broadcast() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// await blocks until cond (called with mu held) is true, ctx is done or
// the Manager is closed.
func (m *Manager) await(ctx context.Context, cond func() bool) error {
	m.mu.Lock()
	for !cond() {
		if m.closed {
			m.mu.Unlock()
			return ErrClosed
		}
		ch := m.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		m.mu.Lock()
	}
	m.mu.Unlock()
	return nil
}

func (m *Manager) lookup(name string) (*service, error) {
	if s := m.byName[name]; s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w: %s", svc.ErrUnknownService, name)
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}
