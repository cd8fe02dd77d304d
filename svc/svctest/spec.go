package svctest

import (
	"strconv"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Behavior is what a test service's process does. Every backend runs the
// same shell script for a Behavior (see [Spec.Command]), so the contract
// means the same thing under the supervisor and under systemd.
type Behavior uint8

// Behaviors.
const (
	// LongRunning runs until signalled; SIGTERM ends it.
	LongRunning Behavior = iota
	// IgnoreTERM ignores SIGTERM: a graceful stop cannot end it, only
	// SIGKILL can. Backends must not escalate to SIGKILL on their own
	// within 10 s (configure a long stop timeout for it).
	IgnoreTERM
	// ExitsAfterStart runs for [ExitDelay], long enough to count as
	// started, then exits with Spec.ExitCode.
	ExitsAfterStart
	// CrashesWhileStarting exits with Spec.ExitCode at once, before any
	// start window a backend has can elapse.
	CrashesWhileStarting
)

// ExitDelay is how long an ExitsAfterStart service runs. A backend's start
// window (the supervisor's StartSecs) must be well below it.
const ExitDelay = 800 * time.Millisecond

// MaxStartWindow is the longest start window a harness may configure for
// the services it is given; the suite's time budget assumes it.
const MaxStartWindow = 300 * time.Millisecond

// Spec is one test service, described independently of any backend.
type Spec struct {
	Name        string
	DisplayName string
	StartType   svc.StartType
	DependsOn   []string
	Behavior    Behavior
	ExitCode    int // for ExitsAfterStart and CrashesWhileStarting
}

// Script is the /bin/sh script that implements the Behavior.
func (s Spec) Script() string {
	code := strconv.Itoa(s.ExitCode)
	switch s.Behavior {
	case IgnoreTERM:
		return "trap '' TERM; exec sleep 600"
	case ExitsAfterStart:
		return "sleep " + strconv.FormatFloat(ExitDelay.Seconds(), 'f', -1, 64) + "; exit " + code
	case CrashesWhileStarting:
		return "exit " + code
	default:
		return "exec sleep 600"
	}
}

// Command is the argv that runs the Behavior: /bin/sh -c Script().
func (s Spec) Command() []string { return []string{"/bin/sh", "-c", s.Script()} }

// The standard test services. Each function returns a fresh copy.

// Web is "web": auto-start, long-running.
func Web() Spec {
	return Spec{Name: "web", DisplayName: "Test Web Service", StartType: svc.AutoStart, Behavior: LongRunning}
}

// Worker is "worker": auto-start, long-running, depends on "web".
func Worker() Spec {
	return Spec{Name: "worker", DisplayName: "Test Worker Service", StartType: svc.AutoStart,
		DependsOn: []string{"web"}, Behavior: LongRunning}
}

// Stubborn is "stubborn": auto-start, ignores SIGTERM.
func Stubborn() Spec {
	return Spec{Name: "stubborn", DisplayName: "Test Stubborn Service", StartType: svc.AutoStart, Behavior: IgnoreTERM}
}

// OnDemand is "ondemand": demand-start, long-running.
func OnDemand() Spec {
	return Spec{Name: "ondemand", DisplayName: "Test On-Demand Service", StartType: svc.DemandStart, Behavior: LongRunning}
}

// Exits3 is "exits3": auto-start; exits with code 3 after [ExitDelay].
func Exits3() Spec {
	return Spec{Name: "exits3", DisplayName: "Test Exit-3 Service", StartType: svc.AutoStart,
		Behavior: ExitsAfterStart, ExitCode: 3}
}

// CrashStart is "crashstart": auto-start; exits with code 4 at once.
func CrashStart() Spec {
	return Spec{Name: "crashstart", DisplayName: "Test Crash-On-Start Service", StartType: svc.AutoStart,
		Behavior: CrashesWhileStarting, ExitCode: 4}
}

// Standard is the standard set: web, worker, stubborn, ondemand.
func Standard() []Spec { return []Spec{Web(), Worker(), Stubborn(), OnDemand()} }
