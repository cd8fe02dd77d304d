package iisreset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/iisctl/iisctl/iiss"
)

// Target is the IIisServiceControl being driven ([MS-IISS] 3.1.4). Every
// [iiss.Service] is a Target.
type Target interface {
	Stop(ctx context.Context, timeout time.Duration, force bool) error
	Start(ctx context.Context, timeout time.Duration) error
	Reboot(ctx context.Context, timeout time.Duration, force bool) error
	Status(ctx context.Context) ([]iiss.ServiceStatus, error)
}

var _ Target = iiss.Service(nil)

// LocalSwitch turns remote control of the local services off and on
// (/DISABLE, /ENABLE); nil when not running on the server itself.
type LocalSwitch interface {
	Disable() error
	Enable() error
}

// Runner executes parsed options and prints iisreset's lines.
type Runner struct {
	Out io.Writer
	// Describe renders an error the way iisreset does, e.g.
	// "Access denied ... (2147942405, 80070005)": use [Describe] for
	// that. Nil prints err.Error().
	Describe func(error) string
	Local    LocalSwitch
	// ExitCode maps the first failure of a run to the exit code; nil
	// returns ExitFailed for every failure.
	ExitCode func(error) int
}

// Exit codes of Run.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
	// ExitNoLocal is /ENABLE or /DISABLE where they cannot work: a usage
	// error, so that 3 stays free for authentication failures in iisctl.
	ExitNoLocal = ExitUsage
)

// Run performs o.Action against t and returns the process exit code.
func (r *Runner) Run(ctx context.Context, t Target, o Options) int {
	switch o.Action {
	case Help:
		fmt.Fprint(r.Out, Usage)
		return ExitOK
	case Status:
		return r.status(ctx, t)
	case Enable, Disable:
		return r.toggle(o)
	case Reboot:
		return r.reboot(ctx, t, o)
	case Start:
		return r.step(ctx, t, o, "Attempting start...", "Internet services successfully started", "Start attempt failed.", r.start)
	case Stop:
		return r.step(ctx, t, o, "Attempting stop...", "Internet services successfully stopped", "Stop attempt failed.", r.stop)
	}
	return r.restart(ctx, t, o)
}

func (r *Runner) stop(ctx context.Context, t Target, o Options) error {
	return t.Stop(ctx, o.StopTimeout(), !o.NoForce)
}

func (r *Runner) start(ctx context.Context, t Target, o Options) error {
	return t.Start(ctx, o.StartTimeout())
}

type stepFunc func(context.Context, Target, Options) error

func (r *Runner) step(ctx context.Context, t Target, o Options, attempt, ok, failed string, f stepFunc) int {
	r.println(attempt)
	if err := f(ctx, t, o); err != nil {
		return r.fail(ctx, t, o, failed, err)
	}
	r.println(ok)
	return ExitOK
}

func (r *Runner) restart(ctx context.Context, t Target, o Options) int {
	r.println("Attempting stop...")
	if err := r.stop(ctx, t, o); err != nil {
		return r.fail(ctx, t, o, "Restart attempt failed.", err)
	}
	r.println("Internet services successfully stopped")
	r.println("Attempting start...")
	if err := r.start(ctx, t, o); err != nil {
		return r.fail(ctx, t, o, "Restart attempt failed.", err)
	}
	r.println("Internet services successfully restarted")
	return ExitOK
}

// fail prints the failure, and reboots when /REBOOTONERROR asks for it.
func (r *Runner) fail(ctx context.Context, t Target, o Options, headline string, err error) int {
	r.println(headline)
	r.println(r.describe(err))
	code := r.exitCode(err) // the failure decides, not the reboot after it
	if o.RebootOnError {
		r.reboot(ctx, t, o)
	}
	return code
}

func (r *Runner) reboot(ctx context.Context, t Target, o Options) int {
	r.println("Attempting reboot...")
	timeout := DefaultRebootTimeout
	if o.TimeoutSet {
		timeout = o.Timeout
	}
	if err := t.Reboot(ctx, timeout, !o.NoForce); err != nil {
		r.println("Reboot attempt failed.")
		r.println(r.describe(err))
		return r.exitCode(err)
	}
	r.println("Reboot of the computer was initiated")
	return ExitOK
}

func (r *Runner) status(ctx context.Context, t Target) int {
	list, err := t.Status(ctx)
	if err != nil {
		r.println("Status attempt failed.")
		r.println(r.describe(err))
		return r.exitCode(err)
	}
	for _, s := range list {
		fmt.Fprintf(r.Out, "Status for %s ( %s ) : %s\n", s.DisplayName, s.Name, s.State)
	}
	return ExitOK
}

func (r *Runner) toggle(o Options) int {
	if r.Local == nil || o.Computer != "" {
		r.println("The /ENABLE and /DISABLE switches work only on the local computer, where iissd runs.")
		return ExitNoLocal
	}
	var err error
	if o.Action == Disable {
		err = r.Local.Disable()
	} else {
		err = r.Local.Enable()
	}
	if err != nil {
		r.println(r.describe(err))
		return r.exitCode(err)
	}
	if o.Action == Disable {
		r.println("Remote control of Internet services is now disabled on this computer")
	} else {
		r.println("Remote control of Internet services is now enabled on this computer")
	}
	return ExitOK
}

func (r *Runner) describe(err error) string {
	if r.Describe != nil {
		return r.Describe(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "The operation timed out."
	}
	return err.Error()
}

func (r *Runner) exitCode(err error) int {
	if r.ExitCode != nil {
		return r.ExitCode(err)
	}
	return ExitFailed
}

func (r *Runner) println(s string) { fmt.Fprintln(r.Out, s) }
