package main

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// newCmdAction parses a host command's arguments and runs it, or hands
// the options to runF when tests provide one.
func newCmdAction(ctx context.Context, f *Factory, op Op, args []string, runF func(*ActionOptions) error) error {
	o := &ActionOptions{IO: f.IO, Dial: f.Dial, Getenv: f.Getenv, Since: f.Since, Op: op,
		Parallel: DefaultParallel, Conn: ConnOptions{DialTimeout: DefaultDialTimeout}}
	fs := newFlagSet(string(op))
	addAuthFlags(fs, &o.Auth)
	addConnFlags(fs, &o.Conn)
	fs.BoolVar(&o.JSON, "json", false, "JSON output")
	fs.IntVar(&o.Parallel, "parallel", DefaultParallel, "hosts at once")
	if op.hasTimeout() {
		fs.Func("timeout", "operation timeout", func(s string) error {
			d, err := parseSeconds(s)
			o.Timeout, o.TimeoutSet = d, true
			return err
		})
	}
	if op.hasForce() {
		fs.BoolVar(&o.NoForce, "no-force", false, "do not force")
	}
	hosts, err := parseInterleaved(fs, args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(f.IO.Out, commandHelp[op])
		return nil
	}
	if err != nil {
		return err
	}
	if err := o.setTargets(hosts); err != nil {
		return err
	}
	if runF != nil {
		return runF(o)
	}
	return actionRun(ctx, o)
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
