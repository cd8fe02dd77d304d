package supervisor

import (
	"context"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Start-check dialing.
const (
	probeEvery   = 100 * time.Millisecond
	probeTimeout = 1 * time.Second
)

// launch starts a process for s if s is Stopped and returns its run (nil
// if s was not Stopped). restarted marks a launch by the restart policy,
// which Stop and Kill cancel.
func (m *Manager) launch(s *service, restarted bool) (*run, error) {
	p := prepare(s.cfg) // s.cfg never changes after New
	defer p.closeLog()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if s.state != svc.Stopped || (restarted && s.stopping) {
		return nil, nil
	}
	stopTimer(&s.restartTimer)
	s.stopping = false
	p.start()
	if p.err != nil {
		s.win32, s.specific = p.code, 0
		m.log.Error("service failed to start", "service", s.cfg.Name, "win32_exit_code", p.code, "err", p.err)
		m.broadcast()
		return nil, fmt.Errorf("supervisor: start %s: %w", s.cfg.Name, p.err)
	}
	return m.begin(s, p, restarted), nil
}

// begin records a started process and arms its start window; mu held.
func (m *Manager) begin(s *service, p prepared, restarted bool) *run {
	now := m.clock.Now()
	ctx, cancel := context.WithCancel(m.ctx)
	r := &run{cmd: p.cmd, pid: p.cmd.Process.Pid, started: now, restarted: restarted, ctx: ctx, cancel: cancel}
	s.run, s.win32, s.specific = r, svc.ExitOK, 0
	if restarted {
		s.restarts++
	}
	if _, st, err := procStat(r.pid); err == nil {
		r.startTime = st
	}
	m.savePids()
	m.log.Info("service process started", append([]any{"service", s.cfg.Name, "pid", r.pid, "restarted", restarted}, s.logAttr()...)...)
	go m.wait(s, r)
	switch {
	case s.cfg.StartCheck != "":
		s.enter(svc.StartPending, now, s.startHint())
		r.startTimer = m.clock.AfterFunc(s.cfg.StartTimeout, func() { m.startHung(s, r) })
		go m.probe(s, r)
	case s.cfg.StartSecs > 0:
		s.enter(svc.StartPending, now, s.startHint())
		r.startTimer = m.clock.AfterFunc(s.cfg.StartSecs, func() { m.started(s, r) })
	default:
		s.enter(svc.Running, now, 0)
		r.ran = true
	}
	m.broadcast()
	return r
}

// wait is the one goroutine per child: it reaps it and records the exit.
func (m *Manager) wait(s *service, r *run) {
	waitExited(r.pid)
	_ = m.signal(-r.pid, syscall.SIGKILL) // what is left of the group
	_ = r.cmd.Wait()
	m.exited(s, r)
}

// exited moves s to Stopped and applies the restart policy.
func (m *Manager) exited(s *service, r *run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	stopTimer(&r.startTimer)
	stopTimer(&r.killTimer)
	r.cancel()
	now := m.clock.Now()
	wasStarting := s.state == svc.StartPending
	s.win32, s.specific = exitCodes(r)
	s.run = nil
	m.savePids()
	s.enter(svc.Stopped, now, 0)
	m.logExit(s, r, now, wasStarting)
	if !m.closed && s.wantsRestart(r, wasStarting) {
		delay := s.backoff(r, now)
		m.log.Warn("service will be restarted", "service", s.cfg.Name, "restart", s.cfg.Restart.String(),
			"in", delay, "failures_in_a_row", s.failures)
		s.restartTimer = m.clock.AfterFunc(delay, func() { _, _ = m.launch(s, true) })
	}
	m.broadcast()
}

// started ends the start window of r: the service is Running.
func (m *Manager) started(s *service, r *run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.run != r || s.state != svc.StartPending {
		return
	}
	r.startTimer, r.ran = nil, true
	s.enter(svc.Running, m.clock.Now(), 0)
	m.broadcast()
}

// startHung kills a run whose StartCheck never passed.
func (m *Manager) startHung(s *service, r *run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.run != r || s.state != svc.StartPending {
		return
	}
	r.hung, r.signaled = true, true
	m.log.Warn("service did not pass its start check in time; killing it", "service", s.cfg.Name,
		"start_check", s.cfg.StartCheck, "start_timeout", s.cfg.StartTimeout)
	_ = m.signal(-r.pid, syscall.SIGKILL)
}

// escalate SIGKILLs the group of a run that outlived its StopTimeout.
func (m *Manager) escalate(s *service, r *run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.run == r {
		m.log.Warn("service did not stop within its stop timeout; killing it", "service", s.cfg.Name,
			"pid", r.pid, "stop_timeout", s.cfg.StopTimeout)
		_ = m.signal(-r.pid, syscall.SIGKILL)
	}
}

// probe dials StartCheck until it connects or the run ends.
func (m *Manager) probe(s *service, r *run) {
	var d net.Dialer
	for {
		ctx, cancel := context.WithTimeout(r.ctx, probeTimeout)
		conn, err := d.DialContext(ctx, "tcp", s.cfg.StartCheck)
		cancel()
		if err == nil {
			conn.Close()
			if m.checkOwner(s, r) {
				m.started(s, r)
				return
			}
		}
		if !m.sleep(r.ctx, probeEvery) {
			return
		}
	}
}

// logExit logs the end of r: Info when it was asked for (Stop, Kill) or
// clean, Warn when the service died on its own, with its log file.
func (m *Manager) logExit(s *service, r *run, now time.Time, wasStarting bool) {
	attrs := []any{"service", s.cfg.Name, "pid", r.pid, "win32_exit_code", s.win32,
		"service_exit_code", s.specific, "ran", now.Sub(r.started).Round(time.Millisecond)}
	attrs = append(attrs, s.logAttr()...)
	switch {
	case s.stopping:
		m.log.Info("service stopped", attrs...)
	case wasStarting:
		m.log.Warn("service exited while starting", attrs...)
	case s.win32 != svc.ExitOK:
		m.log.Warn("service exited on its own", attrs...)
	default:
		m.log.Info("service exited on its own", attrs...)
	}
}

// checkOwner ties a passed start check to the service: the listener must
// belong to its process group, or (when /proc cannot tell) the service
// must still be alive startCheckGrace later. Another process's listener
// never makes the service Running; it is logged once per run.
func (m *Manager) checkOwner(s *service, r *run) bool {
	ok, others, err := ownsListener(r.pid, s.cfg.StartCheck)
	switch {
	case ok:
		return true
	case err != nil:
		if !m.sleep(r.ctx, startCheckGrace) {
			return false
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return s.run == r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !r.foreign {
		r.foreign = true
		m.log.Warn("the start check address is held by another process, not by the service", "service", s.cfg.Name,
			"start_check", s.cfg.StartCheck, "pid", r.pid, "holders", others)
	}
	return false
}
