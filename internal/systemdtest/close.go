package systemdtest

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// Tear-down bounds.
const (
	managerExitWait = 5 * time.Second // for exit.target after SIGTERM
	cgroupKillWait  = 5 * time.Second // for SIGKILLed leftovers to go
)

// Close stops the manager (SIGTERM: it runs exit.target), SIGKILLs what
// is left in its cgroup subtree, removes the subtree and Dir. Bounded by
// about 10 s; safe to call more than once.
func (s *Sandbox) Close() error {
	s.closing.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Sandbox) close() error {
	if s.admin != nil {
		s.admin.Close()
	}
	var errs []error
	if s.PID > 0 {
		s.stopManager()
	}
	for _, d := range s.cgroups {
		errs = append(errs, killCgroup(d, cgroupKillWait))
	}
	errs = append(errs, removeCgroups(s.cgroups), os.RemoveAll(s.Dir))
	return errors.Join(errs...)
}

// stopManager sends SIGTERM and waits a bounded time for the exit; a
// manager that hangs is SIGKILLed with the rest of its cgroup.
func (s *Sandbox) stopManager() {
	_ = syscall.Kill(s.PID, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(managerExitWait):
		_ = syscall.Kill(s.PID, syscall.SIGKILL)
		select {
		case <-s.exited:
		case <-time.After(cgroupKillWait):
		}
	}
}
