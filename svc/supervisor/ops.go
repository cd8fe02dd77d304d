package supervisor

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/iisctl/iisctl/svc"
)

// Start implements svc.Manager: it starts the AutoStart services and
// their dependencies, each once its dependencies are Running, independent
// ones in parallel. A service that fails (or whose dependency fails) does
// not keep the others from starting; the errors are joined.
func (m *Manager) Start(ctx context.Context) error {
	var roots []string
	for _, s := range m.order {
		if s.cfg.StartType == svc.AutoStart {
			roots = append(roots, s.cfg.Name)
		}
	}
	return m.startSet(ctx, m.closure(roots, m.deps))
}

// StartService starts one service and what it depends on, whatever its
// StartType (except Disabled).
func (m *Manager) StartService(ctx context.Context, name string) error {
	if _, err := m.lookup(name); err != nil {
		return err
	}
	return m.startSet(ctx, m.closure([]string{name}, m.deps))
}

// Stop implements svc.Manager: it stops every service once its dependents
// are Stopped, independent ones in parallel. At ctx's deadline it returns
// an error wrapping context.DeadlineExceeded; the services still stopping
// stay StopPending and get SIGKILL at their StopTimeout.
func (m *Manager) Stop(ctx context.Context) error {
	names := make([]string, len(m.order))
	for i, s := range m.order {
		names[i] = s.cfg.Name
	}
	return m.stopSet(ctx, names)
}

// StopService stops one service after the services that depend on it.
func (m *Manager) StopService(ctx context.Context, name string) error {
	if _, err := m.lookup(name); err != nil {
		return err
	}
	return m.stopSet(ctx, m.closure([]string{name}, m.dependentsOf))
}

func (m *Manager) startSet(ctx context.Context, names []string) error {
	if m.isClosed() {
		return ErrClosed
	}
	return m.ordered(ctx, names, m.deps, m.startOne, m.dependencyFailed)
}

func (m *Manager) stopSet(ctx context.Context, names []string) error {
	if m.isClosed() {
		return ErrClosed
	}
	return m.ordered(ctx, names, m.dependentsOf, m.stopOne, nil)
}

func (m *Manager) deps(name string) []string         { return m.byName[name].cfg.DependsOn }
func (m *Manager) dependentsOf(name string) []string { return m.dependents[name] }

// closure is roots plus everything reachable through next.
func (m *Manager) closure(roots []string, next func(string) []string) []string {
	seen := map[string]bool{}
	var out []string
	var add func(string)
	add = func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
			for _, d := range next(n) {
				add(d)
			}
		}
	}
	for _, r := range roots {
		add(r)
	}
	return out
}

// startOne starts name and waits until it is Running or has stopped.
func (m *Manager) startOne(ctx context.Context, name string) error {
	s := m.byName[name]
	if s.cfg.StartType == svc.Disabled {
		m.setExit(s, svc.ExitServiceDisabled)
		return fmt.Errorf("supervisor: start %s: service is disabled", name)
	}
	for {
		if err := m.await(ctx, func() bool { return !pending(s.state) }); err != nil {
			return fmt.Errorf("supervisor: start %s: %w", name, err)
		}
		r, err := m.launch(s, false)
		switch {
		case err != nil:
			return err
		case r != nil:
			return m.awaitStarted(ctx, s, r)
		}
		if m.isRunning(s) {
			return nil
		}
	}
}

// awaitStarted waits for the start window of r to end.
func (m *Manager) awaitStarted(ctx context.Context, s *service, r *run) error {
	if err := m.await(ctx, func() bool { return r.ran || s.run != r }); err != nil {
		return fmt.Errorf("supervisor: start %s: %w", s.cfg.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !r.ran {
		return fmt.Errorf("supervisor: %s stopped while starting (exit code %d, service-specific %d)",
			s.cfg.Name, s.win32, s.specific)
	}
	return nil
}

func (m *Manager) isRunning(s *service) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return s.state == svc.Running
}

func pending(s svc.State) bool { return s == svc.StartPending || s == svc.StopPending }

// stopOne asks name to stop and waits until it is Stopped.
func (m *Manager) stopOne(ctx context.Context, name string) error {
	s := m.byName[name]
	m.mu.Lock()
	m.requestStop(s)
	m.mu.Unlock()
	if err := m.await(ctx, func() bool { return s.state == svc.Stopped }); err != nil {
		return fmt.Errorf("supervisor: stop %s: %w", name, err)
	}
	return nil
}

// requestStop sends StopSignal to the group and arms the SIGKILL
// escalation; mu held.
func (m *Manager) requestStop(s *service) {
	stopTimer(&s.restartTimer)
	s.stopping = true
	r := s.run
	if r == nil || s.state == svc.StopPending {
		return
	}
	stopTimer(&r.startTimer)
	r.cancel()
	r.signaled = true
	s.enter(svc.StopPending, m.clock.Now(), s.cfg.StopTimeout)
	_ = m.signal(-r.pid, s.cfg.StopSignal)
	r.killTimer = m.clock.AfterFunc(s.cfg.StopTimeout, func() { m.escalate(s, r) })
	m.broadcast()
}

// dependencyFailed records ERROR_SERVICE_DEPENDENCY_FAIL on s.
func (m *Manager) dependencyFailed(s *service) { m.setExit(s, svc.ExitServiceDependencyFail) }

// setExit records win32 as the exit code of s if it is Stopped.
func (m *Manager) setExit(s *service, win32 uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.state == svc.Stopped {
		s.win32, s.specific = win32, 0
		m.broadcast()
	}
}

// Kill implements svc.Manager: SIGKILL to every service's process group
// and to the KillExtra processes, then it waits until every service is
// Stopped. Restarts are cancelled.
func (m *Manager) Kill(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	var errs []error
	for _, s := range m.order {
		errs = append(errs, m.killService(s))
	}
	m.mu.Unlock()
	errs = append(errs, m.killExtraProcs())
	if err := m.await(ctx, m.allStopped); err != nil {
		errs = append(errs, fmt.Errorf("supervisor: kill: %w", err))
	}
	return errors.Join(errs...)
}

// killService SIGKILLs the group of s; mu held.
func (m *Manager) killService(s *service) error {
	stopTimer(&s.restartTimer)
	s.stopping = true
	r := s.run
	if r == nil {
		return nil
	}
	stopTimer(&r.startTimer)
	r.cancel()
	r.signaled = true
	if s.state != svc.StopPending {
		s.enter(svc.StopPending, m.clock.Now(), killHint)
		m.broadcast()
	}
	if err := m.signal(-r.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("supervisor: kill %s: %w", s.cfg.Name, err)
	}
	return nil
}

// allStopped is an await condition; mu held.
func (m *Manager) allStopped() bool {
	for _, s := range m.order {
		if s.state != svc.Stopped {
			return false
		}
	}
	return true
}
