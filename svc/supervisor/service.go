package supervisor

import (
	"context"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// checkpointEvery is how often CheckPoint rises during a pending state.
const checkpointEvery = 250 * time.Millisecond

// killHint is the WaitHint reported while a Kill is under way.
const killHint = 5 * time.Second

// service is one supervised service; every field is guarded by Manager.mu.
type service struct {
	logPath string // cfg.logFile(), computed once: Status runs under the manager lock
	cfg     Service
	state   svc.State
	since   time.Time     // when the current state began (zero: never changed)
	hint    time.Duration // its WaitHint

	win32, specific uint32 // exit codes of the last run
	run             *run   // the running process, nil when Stopped
	stopping        bool   // Stop or Kill asked: no restart
	restartTimer    Timer
	failures        int    // restarts in a row, for backoff
	restarts        uint32 // launches by the restart policy, ever
}

// run is one process of a service.
type run struct {
	cmd        *exec.Cmd
	pid        int
	started    time.Time
	restarted  bool // launched by the restart policy, not by Start
	signaled   bool // we signalled it: a death by signal is ours
	hung       bool // StartTimeout killed it
	ran        bool // reached Running
	ctx        context.Context
	cancel     context.CancelFunc // ends the start check
	startTimer Timer
	killTimer  Timer
	startTime  uint64 // /proc/PID/stat start time, for the pid file
	foreign    bool   // the start check found another process's listener (logged once)
}

func (s *service) status(now time.Time) svc.Status {
	st := svc.Status{
		Name: s.cfg.Name, DisplayName: s.cfg.DisplayName, Type: svc.TypeOwnProcess,
		State: s.state, Win32ExitCode: s.win32, ServiceSpecificExitCode: s.specific,
		StartType: s.cfg.StartType, Dependencies: append([]string(nil), s.cfg.DependsOn...),
		Since: s.since, Restarts: s.restarts, LogFile: s.logPath,
	}
	if s.run != nil {
		st.ProcessID = uint32(s.run.pid)
	}
	switch s.state {
	case svc.Running:
		st.ControlsAccepted = svc.AcceptStop | svc.AcceptShutdown
	case svc.StartPending, svc.StopPending:
		st.CheckPoint = 1 + uint32(now.Sub(s.since)/checkpointEvery)
		st.WaitHint = uint32(s.hint.Milliseconds())
	}
	return st
}

// enter moves s to state; pending states restart CheckPoint.
func (s *service) enter(state svc.State, now time.Time, hint time.Duration) {
	s.state, s.since, s.hint = state, now, hint
}

func (s *service) stopTimers() {
	stopTimer(&s.restartTimer)
	if s.run != nil {
		stopTimer(&s.run.startTimer)
		stopTimer(&s.run.killTimer)
		s.run.cancel()
	}
}

// startHint is the WaitHint of a StartPending state.
func (s *service) startHint() time.Duration {
	if s.cfg.StartCheck != "" {
		return s.cfg.StartTimeout
	}
	return s.cfg.StartSecs
}

// wantsRestart applies the restart policy to the run that just ended.
func (s *service) wantsRestart(r *run, wasStarting bool) bool {
	if s.stopping || (wasStarting && !r.restarted) {
		return false
	}
	switch s.cfg.Restart {
	case RestartAlways:
		return true
	case RestartOnFailure:
		return s.win32 != svc.ExitOK
	}
	return false
}

// backoff is the delay before the next restart; a run that lasted
// MaxRestartDelay resets it.
func (s *service) backoff(r *run, now time.Time) time.Duration {
	if now.Sub(r.started) >= s.cfg.MaxRestartDelay {
		s.failures = 0
	}
	d := s.cfg.RestartDelay
	for i := 0; i < s.failures && d < s.cfg.MaxRestartDelay; i++ {
		d *= 2
	}
	s.failures++
	return min(d, s.cfg.MaxRestartDelay)
}

// logAttr names the service's log file, for log lines; none when its
// output is discarded.
func (s *service) logAttr() []any {
	if s.cfg.LogDir == "" {
		return nil
	}
	return []any{"log", filepath.Join(s.cfg.LogDir, s.cfg.Name+".log")}
}
