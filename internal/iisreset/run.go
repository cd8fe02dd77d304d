package iisreset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Target is the IIisServiceControl being driven ([MS-IISS] 3.1.4).
type Target interface {
	Stop(ctx context.Context, timeout time.Duration, force bool) error
	Start(ctx context.Context, timeout time.Duration) error
	Reboot(ctx context.Context, timeout time.Duration, force bool) error
	Status(ctx context.Context) ([]svc.Status, error)
}

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
	// "Access denied ... (2147942405, 80070005)". Nil uses err.Error().
	Describe func(error) string
	Local    LocalSwitch
}

// Exit codes of Run.
const (
	ExitOK      = 0
	ExitFailed  = 1
	ExitUsage   = 2
	ExitNoLocal = 3
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
	if o.RebootOnError {
		r.reboot(ctx, t, o)
	}
	return ExitFailed
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
		return ExitFailed
	}
	r.println("Reboot of the computer was initiated")
	return ExitOK
}

func (r *Runner) status(ctx context.Context, t Target) int {
	list, err := t.Status(ctx)
	if err != nil {
		r.println("Status attempt failed.")
		r.println(r.describe(err))
		return ExitFailed
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
		return ExitFailed
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

func (r *Runner) println(s string) { fmt.Fprintln(r.Out, s) }
