package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/iisreset"
)

// callSlack is how much longer than the server-side timeout the client
// waits for an answer.
const callSlack = 30 * time.Second

// hostResult is the outcome of one host.
type hostResult struct {
	Target   Target
	Err      error
	Step     string // for restart: the step that failed ("stop" or "start")
	Services []iiss.ServiceStatus
	Duration time.Duration
	CallDur  time.Duration   // how long the last call (the failing one) took
	Mech     *iiss.Mechanism // how the connection authenticated; nil if unknown
}

// mechanismOf asks a connection how it authenticated (*iiss.Client can).
func mechanismOf(c Conn) *iiss.Mechanism {
	if m, ok := c.(interface{ Mechanism() iiss.Mechanism }); ok {
		mech := m.Mechanism()
		return &mech
	}
	return nil
}

// runFleet runs o on every target, at most o.Parallel at once, and
// returns the results in the order of o.Targets.
func runFleet(ctx context.Context, o *ActionOptions, cred Credentials, prog *progress) []hostResult {
	results := make([]hostResult, len(o.Targets))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, t := range o.Targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = runHost(ctx, o, o.credFor(t, cred), t, prog)
		}()
	}
	wg.Wait()
	return results
}

// runHost dials t, performs o.Op and closes the connection. With prog,
// a second connection shows the services' progress meanwhile.
func runHost(ctx context.Context, o *ActionOptions, cred Credentials, t Target, prog *progress) hostResult {
	start := time.Now()
	r := hostResult{Target: t}
	conn, err := dial(ctx, o.Dial, t, cred, o.Conn)
	if err == nil {
		r.Mech = mechanismOf(conn)
		if o.Verbose && r.Mech != nil {
			fmt.Fprintf(o.IO.ErrOut, "%s: authenticated with %s\n", t.Host, r.Mech)
		}
		var watched sync.WaitGroup
		callDone := make(chan struct{})
		wctx, stopWatch := context.WithCancel(ctx)
		if prog != nil {
			watched.Go(func() { prog.watchHost(wctx, o, cred, t, callDone) })
		}
		r.Services, r.Step, err = perform(ctx, conn, o, &r.CallDur)
		close(callDone)
		late := time.AfterFunc(2*time.Second, stopWatch) // the last poll, or a slow dial, gets 2 s
		watched.Wait()
		late.Stop()
		stopWatch()
		conn.Close()
	}
	if prog != nil {
		prog.hostDone()
	}
	r.Err, r.Duration = err, o.Since(start)
	return r
}

// dial calls d within the dial timeout.
func dial(ctx context.Context, d Dialer, t Target, cred Credentials, opts ConnOptions) (Conn, error) {
	if opts.DialTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.DialTimeout)
		defer cancel()
	}
	c, err := d(ctx, t, cred, opts)
	if err != nil {
		return nil, dialErr(ctx, err, t, opts.DialTimeout)
	}
	return c, nil
}

// dialErr marks a dial that ran out of time (before iiss.Dial could say
// so itself, or in a Dialer that does not) as a dial timeout.
func dialErr(ctx context.Context, err error, t Target, timeout time.Duration) error {
	var e *iiss.Error
	if errors.As(err, &e) {
		return err
	}
	if iiss.Classify(err) == iiss.KindTimeout || ctx.Err() == context.DeadlineExceeded && iiss.Classify(err) == iiss.KindOther {
		return &iiss.Error{Kind: iiss.KindDialTimeout, Code: iiss.RPC_S_SERVER_UNAVAILABLE, Addr: t.String(), Timeout: timeout, Err: err}
	}
	return err
}

// call runs f with a context that outlives the server's timeout by callSlack.
func call(ctx context.Context, timeout time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout+callSlack)
	defer cancel()
	return f(ctx)
}

// timedCall is call, recording how long it took in *took.
func timedCall(ctx context.Context, took *time.Duration, timeout time.Duration, f func(context.Context) error) error {
	start := time.Now()
	err := call(ctx, timeout, f)
	*took = time.Since(start)
	return err
}

// perform does o.Op on c.
func perform(ctx context.Context, c Conn, o *ActionOptions, took *time.Duration) (list []iiss.ServiceStatus, step string, err error) {
	ro, force := o.resetOptions(), !o.NoForce
	switch o.Op {
	case OpStatus:
		err = call(ctx, 0, func(ctx context.Context) (err error) { list, err = c.Status(ctx); return err })
	case OpStart:
		err = timedCall(ctx, took, ro.StartTimeout(), func(ctx context.Context) error { return c.Start(ctx, ro.StartTimeout()) })
	case OpStop:
		err = timedCall(ctx, took, ro.StopTimeout(), func(ctx context.Context) error { return c.Stop(ctx, ro.StopTimeout(), force) })
	case OpKill:
		err = call(ctx, 0, c.Kill)
	case OpReboot:
		err = timedCall(ctx, took, o.rebootTimeout(), func(ctx context.Context) error { return c.Reboot(ctx, o.rebootTimeout(), force) })
	case OpRestart:
		step, err = restart(ctx, c, ro, took)
	}
	return list, step, err
}

// restart stops then starts, naming the step that failed.
func restart(ctx context.Context, c Conn, ro iisreset.Options, took *time.Duration) (string, error) {
	if err := timedCall(ctx, took, ro.StopTimeout(), func(ctx context.Context) error {
		return c.Stop(ctx, ro.StopTimeout(), !ro.NoForce)
	}); err != nil {
		return "stop", err
	}
	if err := timedCall(ctx, took, ro.StartTimeout(), func(ctx context.Context) error {
		return c.Start(ctx, ro.StartTimeout())
	}); err != nil {
		return "start", err
	}
	return "", nil
}
