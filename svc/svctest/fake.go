package svctest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// ErrClosed is returned by a Fake after Close.
var ErrClosed = errors.New("svctest: manager closed")

// Fake is an in-memory svc.Manager for the layers above the backends. It
// simulates each Spec's Behavior without processes: LongRunning services
// run until stopped, IgnoreTERM services make Stop wait for its deadline,
// ExitsAfterStart services stop ExitDelay after starting, and
// CrashesWhileStarting services fail Start. Failures can be injected with
// FailStart, HangStop and FailKill; Exit simulates a process exit.
// State changes are immediate: a Fake never reports StartPending, and
// reports StopPending (CheckPoint 1) only while a Stop hangs.
type Fake struct {
	mu      sync.Mutex
	order   []*fakeService
	byName  map[string]*fakeService
	nextPID uint32
	killErr error
	calls   []string
	closed  bool
}

type fakeService struct {
	spec     Spec
	status   svc.Status
	startErr error
	hangStop bool
	exit     *time.Timer
}

// NewFake returns a Fake with the given services, all Stopped. It panics
// on a duplicate name or an unknown dependency, which are test bugs.
func NewFake(specs ...Spec) *Fake {
	f := &Fake{byName: map[string]*fakeService{}, nextPID: 4000}
	for _, sp := range specs {
		if f.byName[sp.Name] != nil {
			panic("svctest: duplicate service " + sp.Name)
		}
		s := &fakeService{spec: sp, hangStop: sp.Behavior == IgnoreTERM}
		s.status = svc.Status{Name: sp.Name, DisplayName: sp.DisplayName, Type: svc.TypeOwnProcess,
			State: svc.Stopped, StartType: sp.StartType, Dependencies: append([]string(nil), sp.DependsOn...)}
		f.order = append(f.order, s)
		f.byName[sp.Name] = s
	}
	for _, s := range f.order {
		for _, d := range s.spec.DependsOn {
			if f.byName[d] == nil {
				panic("svctest: " + s.spec.Name + " depends on unknown " + d)
			}
		}
	}
	return f
}

// FailStart makes Start fail for name with err (nil clears it). The
// service stays Stopped and its dependents are not started.
func (f *Fake) FailStart(name string, err error) {
	f.with(name, func(s *fakeService) { s.startErr = err })
}

// HangStop makes Stop of name wait for its context's deadline (as an
// IgnoreTERM service does), leaving the service StopPending until Kill.
func (f *Fake) HangStop(name string, hang bool) {
	f.with(name, func(s *fakeService) { s.hangStop = hang })
}

// FailKill makes Kill return err without killing anything (nil clears it).
func (f *Fake) FailKill(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.killErr = err
}

// Exit simulates the main process of name exiting with code, as if not
// asked to: 0 gives Win32ExitCode 0, anything else 1066 with code as the
// service-specific exit code.
func (f *Fake) Exit(name string, code int) { f.with(name, func(s *fakeService) { f.exited(s, code) }) }

// Calls lists the Manager methods called so far, e.g. "Start", "Kill".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *Fake) with(name string, fn func(*fakeService)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.byName[name]
	if s == nil {
		panic(fmt.Sprintf("svctest: %v: %s", svc.ErrUnknownService, name))
	}
	fn(s)
}

// enter records a call; it fails once the Fake is closed.
func (f *Fake) enter(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	if f.closed {
		return ErrClosed
	}
	return nil
}

// Services implements svc.Manager.
func (f *Fake) Services(ctx context.Context) ([]svc.Status, error) {
	if err := f.enter("Services"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]svc.Status, len(f.order))
	for i, s := range f.order {
		out[i] = s.status
		out[i].Dependencies = append([]string(nil), s.status.Dependencies...)
	}
	return out, ctx.Err()
}

// Close implements svc.Manager; it leaves the simulated services as they are.
func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "Close")
	f.closed = true
	for _, s := range f.order {
		s.stopExitTimer()
	}
	return nil
}
