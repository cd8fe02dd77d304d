package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/ctl"
	"github.com/iisctl/iisctl/internal/iisreset"
	"github.com/iisctl/iisctl/internal/localconf"
	"github.com/spf13/pflag"
)

// ResetOptions is a parsed iisreset-mode command line.
type ResetOptions struct {
	IO         *IOStreams
	Dial       Dialer
	Getenv     func(string) string
	Interrupts <-chan os.Signal

	Name   string // "iisreset" or "iisctl reset", for messages
	Auth   AuthFlags
	Conn   ConnOptions
	Reset  iisreset.Options
	Target Target // the computer; localhost when iisreset names none
}

// newCmdReset parses `iisreset [credential flags] [computer] [switches]`:
// iisctl's credential and connection flags first, then iisreset's
// arguments (case-insensitive /SWITCH or -SWITCH).
func newCmdReset(ctx context.Context, f *Factory, name string, args []string, runF func(*ResetOptions) error) error {
	o := &ResetOptions{IO: f.IO, Dial: f.Dial, Getenv: f.Getenv, Interrupts: f.Interrupts, Name: name,
		Conn: ConnOptions{DialTimeout: DefaultDialTimeout, AuthType: AuthNegotiate}}
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addAuthFlags(fs, &o.Auth)
	addConnFlags(fs, &o.Conn)
	flagArgs, rest := splitLeading(fs, args)
	if err := fs.Parse(flagArgs); err != nil {
		return usageErrorf("%v", err)
	}
	if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help") {
		rest = []string{"/?"}
	}
	ro, err := iisreset.Parse(rest)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), iisreset.ErrUsage.Error()+": ")
		if name != "iisreset" {
			msg = "reset: " + msg
		}
		return usageErrorf("%s (see %s /?)", msg, name)
	}
	o.Reset, o.Target = ro, Target{Host: "localhost", Port: DefaultPort}
	if ro.Computer != "" {
		if o.Target, err = ParseTarget(ro.Computer); err != nil {
			return usageErrorf("%v", err)
		}
	}
	if runF != nil {
		return runF(o)
	}
	return resetRun(ctx, o)
}

// resetRun drives iisreset's Runner over a connection made on first use.
func resetRun(ctx context.Context, o *ResetOptions) error {
	switch o.Reset.Action {
	case iisreset.Help:
		fmt.Fprint(o.IO.Out, iisreset.Usage+resetFlagsHelp)
		return nil
	case iisreset.Enable, iisreset.Disable:
		return runReset(ctx, o, nil)
	}
	cred, krb, err := resolveKerberos(o.Auth, &o.Conn, o.IO, o.Getenv)
	wipe := func() {}
	if !krb && err == nil {
		cred, wipe, err = resolveCredentials(o.Auth, o.IO, o.Getenv)
	}
	if err != nil {
		return err
	}
	t := &lazyTarget{dial: func(ctx context.Context) (Conn, error) { return dial(ctx, o.Dial, o.Target, cred, o.Conn) }}
	defer t.close()
	defer wipe()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	op, quitAt := map[iisreset.Action]string{iisreset.Restart: "restart", iisreset.Start: "start", iisreset.Stop: "stop",
		iisreset.Reboot: "reboot", iisreset.Status: "status"}[o.Reset.Action], 2
	if o.Reset.Action == iisreset.Status {
		quitAt = 1
	}
	intr := watchInterrupts(o.Interrupts, o.IO.ErrOut, quitAt, interruptText(op, []Target{o.Target}), cancel, nil)
	err = runReset(ctx, o, t)
	if intr.stop() >= quitAt {
		if quitAt == 1 {
			fmt.Fprintln(o.IO.ErrOut, "iisctl: interrupted")
		} else {
			fmt.Fprintf(o.IO.ErrOut, "iisctl: %s\n", stoppedWaitingText(op, []Target{o.Target}))
		}
		return &exitError{ExitInterrupted}
	}
	return err
}

func runReset(ctx context.Context, o *ResetOptions, t iisreset.Target) error {
	var first error
	r := &iisreset.Runner{Out: o.IO.Out, Describe: iisreset.Describe, ExitCode: func(err error) int {
		if first == nil {
			first = err
		}
		return exitCodeOf(err)
	}}
	if o.Reset.Computer == "" {
		r.Local = localSwitch(o.Getenv, o.IO.ErrOut)
	}
	start := time.Now()
	code := r.Run(ctx, t, o.Reset)
	if first != nil {
		h, ok := serviceTimeoutHint(o.Target, first, resetTimeout(o.Reset), time.Since(start), "/TIMEOUT")
		if !ok {
			h = hintFor(o.Target, first, o.Conn, resetTimeout(o.Reset))
		}
		if h != "" {
			fmt.Fprintf(o.IO.ErrOut, "hint: %s\n", h)
		}
	}
	if code != iisreset.ExitOK {
		return &exitError{code}
	}
	return nil
}

func resetTimeout(ro iisreset.Options) time.Duration {
	if ro.Action == iisreset.Start {
		return ro.StartTimeout()
	}
	return ro.StopTimeout()
}

// lazyTarget dials on the first call, so that iisreset's "Attempting
// stop..." comes before a connection failure, as on Windows. Each call
// gets the server-side timeout plus callSlack.
type lazyTarget struct {
	dial func(context.Context) (Conn, error)
	once sync.Once
	conn Conn
	err  error
}

func (l *lazyTarget) get(ctx context.Context) (Conn, error) {
	l.once.Do(func() { l.conn, l.err = l.dial(ctx) })
	return l.conn, l.err
}

func (l *lazyTarget) close() {
	if l.conn != nil {
		l.conn.Close()
	}
}

func (l *lazyTarget) do(ctx context.Context, timeout time.Duration, f func(context.Context, Conn) error) error {
	c, err := l.get(ctx)
	if err != nil {
		return err
	}
	return call(ctx, timeout, func(ctx context.Context) error { return f(ctx, c) })
}

func (l *lazyTarget) Stop(ctx context.Context, timeout time.Duration, force bool) error {
	return l.do(ctx, timeout, func(ctx context.Context, c Conn) error { return c.Stop(ctx, timeout, force) })
}

func (l *lazyTarget) Start(ctx context.Context, timeout time.Duration) error {
	return l.do(ctx, timeout, func(ctx context.Context, c Conn) error { return c.Start(ctx, timeout) })
}

func (l *lazyTarget) Reboot(ctx context.Context, timeout time.Duration, force bool) error {
	return l.do(ctx, timeout, func(ctx context.Context, c Conn) error { return c.Reboot(ctx, timeout, force) })
}

func (l *lazyTarget) Status(ctx context.Context) (list []iiss.ServiceStatus, err error) {
	err = l.do(ctx, 0, func(ctx context.Context, c Conn) error { list, err = c.Status(ctx); return err })
	return list, err
}

// localSwitch is iissd's disable switch on this computer, for /ENABLE and
// /DISABLE without a computer name (as iisreset works on Windows): the
// state directory the server uses, found as iissd finds it
// (internal/localconf: $IISSD_STATE_DIR, state.dir of $IISSD_CONFIG or
// /etc/iissd/iissd.toml, /var/lib/iissd). A running iissd applies it
// through its control channel (internal/ctl); otherwise the switch file
// is written. It says on stderr which directory and which way; stdout
// keeps iisreset's lines.
func localSwitch(getenv func(string) string, errOut io.Writer) iisreset.LocalSwitch {
	return &lazySwitch{getenv: getenv, errOut: errOut}
}

// lazySwitch finds and opens the state directory only when used.
type lazySwitch struct {
	getenv func(string) string
	errOut io.Writer
}

func (l *lazySwitch) Disable() error { return l.do(true) }
func (l *lazySwitch) Enable() error  { return l.do(false) }

func (l *lazySwitch) do(disable bool) error {
	loc, err := localconf.Locate(localconf.Flags{}, l.getenv)
	if err != nil {
		return err
	}
	o, _, err := ctl.SetDisabled(context.Background(), loc.StateDir, disable)
	if err == nil {
		fmt.Fprintf(l.errOut, "state directory: %s\n%s\n", loc.DescribeState(), o.Describe())
	}
	return err
}
