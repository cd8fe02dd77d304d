package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
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

// DefaultParallel is --parallel's default.
const DefaultParallel = 8

// ActionOptions is a parsed host command (cli/cli's Options).
type ActionOptions struct {
	IO         *IOStreams
	Dial       Dialer
	Getenv     func(string) string
	Since      func(time.Time) time.Duration
	Interrupts <-chan os.Signal

	Op         Op
	Targets    []Target
	Auth       AuthFlags
	Conn       ConnOptions
	Timeout    time.Duration // valid if TimeoutSet
	TimeoutSet bool
	NoForce    bool
	JSON       bool
	Verbose    bool // -v: say how each host authenticated (on stderr)
	Parallel   int
	Watch      bool          // status: repeat every Interval until Ctrl-C
	Interval   time.Duration // --interval, for --watch

	Inventory InventoryFlags // --hosts-file, --group, --credentials-file
	Creds     *credsFile     // per-host credentials; nil: none
	Rolling   RollingOptions // restart/stop/start --rolling
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

func (o *ActionOptions) setTargets(args []string) error {
	hosts, fromInv, err := inventoryTargets(o.Inventory, args, o.IO.In)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if (o.Inventory.HostsFile == "-" || slices.Contains(args, "-")) && o.Auth.PasswordStdin {
		return usageErrorf("hosts on stdin and --password-stdin cannot share standard input")
	}
	if len(hosts) == 0 && len(fromInv.targets) == 0 {
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
	o.Targets = append(o.Targets, fromInv.targets...)
	if o.Inventory.CredsFile != "" {
		if o.Creds, err = loadCredsFile(o.Inventory.CredsFile, o.Getenv); err != nil {
			return usageErrorf("%v", err)
		}
		o.Creds.groups = fromInv.groups
	}
	return o.Rolling.validate(o.Op)
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

// ExitInterrupted is the exit code after Ctrl-C (128 + SIGINT), as shells use.
const ExitInterrupted = 130

// actionRun resolves the credentials, runs the fleet and reports.
func actionRun(ctx context.Context, o *ActionOptions) error {
	cred, wipe, err := o.fleetCredentials()
	if err != nil {
		return err
	}
	defer wipe()
	if o.Watch {
		return watchStatus(ctx, o, cred)
	}
	if o.Rolling.Enabled {
		return rollingRun(ctx, o, cred)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var prog *progress
	if o.Op.hasProgress() && o.IO.ErrIsTTY && !o.JSON {
		prog = newProgress(o.IO.ErrOut, o.Op, len(o.Targets))
	}
	quitAt := 2
	if o.Op == OpStatus {
		quitAt = 1
	}
	intr := watchInterrupts(o.Interrupts, o.IO.ErrOut, quitAt, interruptMessage(o), cancel, prog)
	results := runFleet(ctx, o, cred, prog)
	if prog != nil {
		prog.stop()
	}
	if n := intr.stop(); n >= intr.quitAt {
		fmt.Fprintf(o.IO.ErrOut, "iisctl: %s\n", map[bool]string{true: stoppedWaitingMessage(o), false: "interrupted"}[intr.quitAt > 1])
		return &exitError{ExitInterrupted}
	}
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

// fleetCredentials resolves the default account (flags, environment,
// Kerberos, prompt); a credentials file that names every host needs none.
func (o *ActionOptions) fleetCredentials() (Credentials, func(), error) {
	if o.Auth.User == "" && o.Getenv(EnvUser) == "" && !o.Auth.Kerberos && o.Auth.Keytab == "" && o.Creds.covers(o.Targets) {
		return Credentials{}, func() {}, nil
	}
	cred, krb, err := resolveKerberos(o.Auth, &o.Conn, o.IO, o.Getenv)
	if krb || err != nil {
		return cred, func() {}, err
	}
	return resolveCredentials(o.Auth, o.IO, o.Getenv)
}

// interrupts counts Ctrl-C during a command.
type interrupts struct {
	quitAt int // the count that cancels: 1 for status, 2 for state changes
	n      atomic.Int32
	done   chan struct{}
	wg     sync.WaitGroup
}

// watchInterrupts handles Ctrl-C while the command runs: a status stops
// at once (quitAt 1); a state-changing command goes on at the server, so
// the first Ctrl-C prints msg and iisctl keeps waiting, the second
// cancels (quitAt 2).
func watchInterrupts(intr <-chan os.Signal, errOut io.Writer, quitAt int, msg string, cancel context.CancelFunc, prog *progress) *interrupts {
	in := &interrupts{quitAt: quitAt, done: make(chan struct{})}
	if intr == nil {
		return in
	}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		for {
			select {
			case <-in.done:
				return
			case <-intr:
			}
			n := int(in.n.Add(1))
			if n >= in.quitAt {
				cancel()
				return
			}
			if prog != nil {
				prog.printf("iisctl: %s", msg)
				prog.setNote("(Ctrl-C again: stop waiting)")
			} else {
				fmt.Fprintf(errOut, "\niisctl: %s\n", msg)
			}
		}
	}()
	return in
}

// stop ends the watch and returns how many Ctrl-C came.
func (in *interrupts) stop() int {
	close(in.done)
	in.wg.Wait()
	return int(in.n.Load())
}
