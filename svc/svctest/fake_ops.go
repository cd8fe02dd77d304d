package svctest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Start implements svc.Manager.
func (f *Fake) Start(ctx context.Context) error {
	if err := f.enter("Start"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	failed := map[string]bool{}
	for _, s := range f.startOrder() {
		if err := f.startOne(s, failed); err != nil {
			failed[s.spec.Name] = true
			errs = append(errs, err)
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// startOrder is the AutoStart services and their dependencies,
// dependencies first.
func (f *Fake) startOrder() []*fakeService {
	var out []*fakeService
	seen := map[*fakeService]bool{}
	var visit func(s *fakeService)
	visit = func(s *fakeService) {
		if seen[s] {
			return
		}
		seen[s] = true
		for _, d := range s.spec.DependsOn {
			visit(f.byName[d])
		}
		out = append(out, s)
	}
	for _, s := range f.order {
		if s.spec.StartType == svc.AutoStart {
			visit(s)
		}
	}
	return out
}

func (f *Fake) startOne(s *fakeService, failed map[string]bool) error {
	st := &s.status
	if st.State == svc.Running {
		return nil
	}
	for _, d := range s.spec.DependsOn {
		if failed[d] {
			st.Win32ExitCode, st.ServiceSpecificExitCode = svc.ExitServiceDependencyFail, 0
			return fmt.Errorf("svctest: %s: dependency %s failed", s.spec.Name, d)
		}
	}
	switch {
	case s.spec.StartType == svc.Disabled:
		st.Win32ExitCode = svc.ExitServiceDisabled
		return fmt.Errorf("svctest: %s is disabled", s.spec.Name)
	case s.startErr != nil:
		return fmt.Errorf("svctest: start %s: %w", s.spec.Name, s.startErr)
	case s.spec.Behavior == CrashesWhileStarting:
		f.exited(s, s.spec.ExitCode)
		return fmt.Errorf("svctest: %s exited with code %d while starting", s.spec.Name, s.spec.ExitCode)
	}
	f.nextPID++
	*st = running(*st, f.nextPID)
	if s.spec.Behavior == ExitsAfterStart {
		s.exit = time.AfterFunc(ExitDelay, func() { f.Exit(s.spec.Name, s.spec.ExitCode) })
	}
	return nil
}

func running(st svc.Status, pid uint32) svc.Status {
	st.State, st.ProcessID, st.ControlsAccepted = svc.Running, pid, svc.AcceptStop|svc.AcceptShutdown
	st.Win32ExitCode, st.ServiceSpecificExitCode, st.CheckPoint, st.WaitHint = 0, 0, 0, 0
	st.Since = time.Now()
	return st
}

// exited moves s to Stopped with the exit code mapping of a real process.
func (f *Fake) exited(s *fakeService, code int) {
	s.stopExitTimer()
	st := &s.status
	st.State, st.ProcessID, st.ControlsAccepted, st.CheckPoint, st.WaitHint = svc.Stopped, 0, 0, 0, 0
	st.Win32ExitCode, st.ServiceSpecificExitCode, st.Since = svc.ExitOK, 0, time.Now()
	if code != 0 {
		st.Win32ExitCode, st.ServiceSpecificExitCode = svc.ExitServiceSpecificError, uint32(code)
	}
}

func (s *fakeService) stopExitTimer() {
	if s.exit != nil {
		s.exit.Stop()
		s.exit = nil
	}
}

// Stop implements svc.Manager. Services whose stop hangs stay StopPending
// and make Stop wait for ctx; the others stop at once, dependents first.
func (f *Fake) Stop(ctx context.Context) error {
	if err := f.enter("Stop"); err != nil {
		return err
	}
	f.mu.Lock()
	order := f.startOrderAll()
	slices.Reverse(order)
	var hung []string
	for _, s := range order {
		if f.stopOne(s) {
			hung = append(hung, s.spec.Name)
		}
	}
	f.mu.Unlock()
	if len(hung) == 0 {
		return nil
	}
	<-ctx.Done()
	return fmt.Errorf("svctest: stop %v: %w", hung, ctx.Err())
}

// startOrderAll is every service, dependencies first.
func (f *Fake) startOrderAll() []*fakeService {
	var out []*fakeService
	done := map[*fakeService]bool{}
	for len(out) < len(f.order) {
		for _, s := range f.order {
			if !done[s] && f.depsDone(s, done) {
				done[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func (f *Fake) depsDone(s *fakeService, done map[*fakeService]bool) bool {
	for _, d := range s.spec.DependsOn {
		if !done[f.byName[d]] {
			return false
		}
	}
	return true
}

// stopOne stops s, or marks it StopPending if its stop hangs (true).
func (f *Fake) stopOne(s *fakeService) bool {
	st := &s.status
	if st.State == svc.Stopped {
		return false
	}
	if s.hangStop {
		st.State, st.CheckPoint, st.WaitHint, st.Since = svc.StopPending, 1, 10000, time.Now()
		return true
	}
	f.exited(s, 0)
	return false
}

// Kill implements svc.Manager.
func (f *Fake) Kill(ctx context.Context) error {
	if err := f.enter("Kill"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.killErr != nil {
		return f.killErr
	}
	for _, s := range f.order {
		if s.status.State != svc.Stopped {
			f.exited(s, 0)
		}
	}
	return ctx.Err()
}
