package main

import (
	"context"
	"time"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/iisctl/iisctl/internal/iisreset"
)

// Op is an iisctl command that acts on hosts.
type Op string

// The host commands.
const (
	OpStatus  Op = "status"
	OpStart   Op = "start"
	OpStop    Op = "stop"
	OpRestart Op = "restart"
	OpKill    Op = "kill"
	OpReboot  Op = "reboot"
)

var ops = map[string]Op{"status": OpStatus, "start": OpStart, "stop": OpStop,
	"restart": OpRestart, "kill": OpKill, "reboot": OpReboot}

// DefaultParallel is --parallel's default.
const DefaultParallel = 8

// ActionOptions is a parsed host command (cli/cli's Options).
type ActionOptions struct {
	IO     *IOStreams
	Dial   Dialer
	Getenv func(string) string
	Since  func(time.Time) time.Duration

	Op         Op
	Targets    []Target
	Auth       AuthFlags
	Conn       ConnOptions
	Timeout    time.Duration // valid if TimeoutSet
	TimeoutSet bool
	NoForce    bool
	JSON       bool
	Parallel   int
}

// hasTimeout and hasForce say which flags op takes.
func (op Op) hasTimeout() bool {
	return op == OpStart || op == OpStop || op == OpRestart || op == OpReboot
}
func (op Op) hasForce() bool { return op == OpStop || op == OpRestart || op == OpReboot }

// newCmdAction runs the host command op with args through iisctl's
// command tree, handing the parsed options to runF when tests give one.
func newCmdAction(ctx context.Context, f *Factory, op Op, args []string, runF func(*ActionOptions) error) error {
	root := newRootCmd(ctx, f, &hooks{action: runF})
	return asUsage(cmdline.Execute(root, append([]string{string(op)}, args...)))
}

func (o *ActionOptions) setTargets(hosts []string) error {
	if len(hosts) == 0 {
		return usageErrorf("%s: no host given (iisctl %s HOST[:PORT]...)", o.Op, o.Op)
	}
	if o.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	for _, h := range hosts {
		t, err := ParseTarget(h)
		if err != nil {
			return usageErrorf("%v", err)
		}
		o.Targets = append(o.Targets, t)
	}
	return nil
}

// resetOptions expresses o as iisreset options, whose timeout defaults
// iisctl shares: stop 60 s, start 60 s, restart 20 s + 60 s, reboot 0 s.
func (o *ActionOptions) resetOptions() iisreset.Options {
	a := map[Op]iisreset.Action{OpStart: iisreset.Start, OpStop: iisreset.Stop,
		OpRestart: iisreset.Restart, OpReboot: iisreset.Reboot, OpStatus: iisreset.Status}[o.Op]
	return iisreset.Options{Action: a, NoForce: o.NoForce, Timeout: o.Timeout, TimeoutSet: o.TimeoutSet}
}

// rebootTimeout is the grace period before a reboot.
func (o *ActionOptions) rebootTimeout() time.Duration {
	if o.TimeoutSet {
		return o.Timeout
	}
	return iisreset.DefaultRebootTimeout
}

// actionRun resolves the credentials, runs the fleet and reports.
func actionRun(ctx context.Context, o *ActionOptions) error {
	cred, wipe, err := resolveCredentials(o.Auth, o.IO, o.Getenv)
	if err != nil {
		return err
	}
	results := runFleet(ctx, o, cred)
	wipe()
	if err := writeResults(o, results); err != nil {
		return err
	}
	code := ExitOK
	for _, r := range results {
		code = worse(code, exitCodeOf(r.Err))
	}
	if code != ExitOK {
		return &exitError{code}
	}
	return nil
}
