package iiss

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Rebooter restarts the machine. It schedules the reboot grace from now
// (forcing applications closed if force is set) and returns at once; it
// must not block for the grace period. iissd passes one that runs
// `shutdown -r` or `systemctl reboot`.
type Rebooter func(ctx context.Context, grace time.Duration, force bool) error

// LocalOptions configures [NewLocal]. The zero value is usable.
type LocalOptions struct {
	// Disable is the local switch; nil means never disabled.
	Disable DisableState
	// Auditor receives a record per Stop/Start/Reboot/Kill; nil: none.
	// A [CheckedAuditor] also gets a request record before each change,
	// and a change whose request cannot be written is refused with
	// ErrAuditUnavailable (fail closed) unless AuditFailOpen.
	Auditor Auditor
	// AuditFailOpen runs state changes even when the audit trail cannot
	// be written. Default false: refuse them.
	AuditFailOpen bool
	// Rebooter enables Reboot; nil makes Reboot return E_NOTIMPL, as
	// Windows after Server 2003 does ([MS-IISS] <6>).
	Rebooter Rebooter
	// KillTimeout bounds Kill, and the kill that follows a forced Stop;
	// default 30 s.
	KillTimeout time.Duration
	// StatusTimeout bounds Status; default 10 s.
	StatusTimeout time.Duration
	// MaxTimeout caps the client's dwTimeoutMsecs; default 10 min.
	MaxTimeout time.Duration
	// Logger gets errors hidden behind generic HRESULTs; default slog.Default().
	Logger *slog.Logger
}

// Local implements Service over a svc.Manager with the server semantics
// of [MS-IISS] 3.1.4.1-5. State-changing calls are serialized: a second
// Stop/Start/Kill/Reboot waits for the first (within its own deadline).
type Local struct {
	mgr  svc.Manager
	opts LocalOptions
	sem  chan struct{}

	auditMu     sync.Mutex
	auditBroken bool // the last write failed (logged once per outage)
}

// NewLocal returns the local implementation over mgr.
func NewLocal(mgr svc.Manager, opts LocalOptions) *Local {
	if opts.Disable == nil {
		opts.Disable = Enabled{}
	}
	if opts.KillTimeout <= 0 {
		opts.KillTimeout = 30 * time.Second
	}
	if opts.StatusTimeout <= 0 {
		opts.StatusTimeout = 10 * time.Second
	}
	if opts.MaxTimeout <= 0 {
		opts.MaxTimeout = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Local{mgr: mgr, opts: opts, sem: make(chan struct{}, 1)}
}

var _ Service = (*Local)(nil)

// Stop implements Service: a graceful Manager.Stop bounded by timeout;
// on failure with force, Manager.Kill, and S_OK if the kill succeeds.
// Otherwise ERROR_SERVICE_REQUEST_TIMEOUT, wrapping the cause.
func (l *Local) Stop(ctx context.Context, timeout time.Duration, force bool) error {
	rec := AuditRecord{Method: "Stop", Timeout: timeout, Force: force}
	return l.change(ctx, &rec, func(ctx context.Context) error {
		sctx, cancel := context.WithTimeout(ctx, l.clamp(timeout))
		err := l.mgr.Stop(sctx)
		cancel()
		if err == nil {
			return nil
		}
		if force {
			kerr := l.kill(ctx)
			if kerr == nil {
				return nil
			}
			err = errors.Join(err, kerr)
		}
		return fmt.Errorf("iiss: stop: %w: %w", ErrServiceRequestTimeout, err)
	})
}

// Start implements Service: Manager.Start bounded by timeout. Any failure
// to have the auto-start services running in time is
// ERROR_SERVICE_REQUEST_TIMEOUT (0x8007041D), wrapping the cause.
func (l *Local) Start(ctx context.Context, timeout time.Duration) error {
	rec := AuditRecord{Method: "Start", Timeout: timeout}
	return l.change(ctx, &rec, func(ctx context.Context) error {
		sctx, cancel := context.WithTimeout(ctx, l.clamp(timeout))
		defer cancel()
		if err := l.mgr.Start(sctx); err != nil {
			return fmt.Errorf("iiss: start: %w: %w", ErrServiceRequestTimeout, err)
		}
		return nil
	})
}

// Reboot implements Service: E_NOTIMPL without a Rebooter, otherwise the
// Rebooter's answer (E_FAIL wrapping its error).
func (l *Local) Reboot(ctx context.Context, timeout time.Duration, force bool) error {
	rec := AuditRecord{Method: "Reboot", Timeout: timeout, Force: force}
	return l.change(ctx, &rec, func(ctx context.Context) error {
		if l.opts.Rebooter == nil {
			return ErrNotImpl
		}
		if err := l.opts.Rebooter(ctx, l.clamp(timeout), force); err != nil {
			return fmt.Errorf("iiss: reboot: %w: %w", ErrFail, err)
		}
		return nil
	})
}

// Kill implements Service: Manager.Kill (which also covers the extra
// process names), E_FAIL wrapping its error.
func (l *Local) Kill(ctx context.Context) error {
	rec := AuditRecord{Method: "Kill"}
	return l.change(ctx, &rec, l.kill)
}

func (l *Local) kill(ctx context.Context) error {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.opts.KillTimeout)
	defer cancel()
	if err := l.mgr.Kill(kctx); err != nil {
		return fmt.Errorf("iiss: kill: %w: %w", ErrFail, err)
	}
	return nil
}

// Status implements Service.
func (l *Local) Status(ctx context.Context) ([]ServiceStatus, error) {
	if err := l.disabled(); err != nil {
		return nil, err
	}
	list, err := l.services(ctx)
	if err != nil {
		return nil, fmt.Errorf("iiss: status: %w: %w", ErrFail, err)
	}
	out := make([]ServiceStatus, len(list))
	for i, s := range list {
		out[i] = StatusFromSvc(s)
	}
	return out, nil
}

// services asks the manager, bounded by StatusTimeout; a manager that
// answers from memory (svc.Snapshotter) needs no per-call deadline.
func (l *Local) services(ctx context.Context) ([]svc.Status, error) {
	if sn, ok := l.mgr.(svc.Snapshotter); ok {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return sn.Snapshot()
	}
	ctx, cancel := context.WithTimeout(ctx, l.opts.StatusTimeout)
	defer cancel()
	return l.mgr.Services(ctx)
}

// disabled returns ERROR_RESOURCE_DISABLED when the switch is on. A
// switch that cannot be read counts as on: doing nothing is the safe side.
func (l *Local) disabled() error {
	d, err := l.opts.Disable.Disabled()
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", ErrResourceDisabled, err)
	case d:
		return ErrResourceDisabled
	}
	return nil
}

// change runs a state-changing operation: disabled check, serialization,
// audit.
func (l *Local) change(ctx context.Context, rec *AuditRecord, op func(context.Context) error) error {
	rec.Time = time.Now()
	rec.Caller, _ = CallerFrom(ctx)
	err := l.disabled()
	if err == nil {
		err = l.auditRequest(ctx, rec)
	}
	if err == nil {
		err = l.serialized(ctx, op)
	}
	rec.Duration = time.Since(rec.Time)
	rec.Result, _ = AsHRESULT(err)
	rec.Err = err
	if rec.Result == S_OK {
		rec.Err = nil
	}
	if ca, ok := l.opts.Auditor.(CheckedAuditor); ok {
		l.auditHealth(ca.AuditChecked(ctx, *rec))
	} else if l.opts.Auditor != nil {
		l.opts.Auditor.Audit(ctx, *rec)
	}
	return err
}

// auditRequest writes the request record of a state change; when it
// cannot be written the change is refused (unless AuditFailOpen).
func (l *Local) auditRequest(ctx context.Context, rec *AuditRecord) error {
	ca, ok := l.opts.Auditor.(CheckedAuditor)
	if !ok {
		return nil
	}
	werr := ca.AuditRequest(ctx, *rec)
	l.auditHealth(werr)
	if werr == nil || l.opts.AuditFailOpen {
		return nil
	}
	return fmt.Errorf("iiss: %s refused: the audit trail cannot be written: %w: %w", rec.Method, ErrAuditUnavailable, werr)
}

// auditHealth logs the first failure of an outage and the recovery,
// once each.
func (l *Local) auditHealth(werr error) {
	l.auditMu.Lock()
	defer l.auditMu.Unlock()
	switch {
	case werr != nil && !l.auditBroken:
		l.auditBroken = true
		what := "state-changing calls are refused until it can"
		if l.opts.AuditFailOpen {
			what = "state-changing calls continue unaudited (audit_fail_open)"
		}
		l.opts.Logger.Error("the audit trail cannot be written; "+what, "err", werr)
	case werr == nil && l.auditBroken:
		l.auditBroken = false
		l.opts.Logger.Warn("the audit trail can be written again")
	}
}

func (l *Local) serialized(ctx context.Context, op func(context.Context) error) error {
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("iiss: waiting for another operation: %w: %w", ErrServiceRequestTimeout, ctx.Err())
	}
	defer func() { <-l.sem }()
	return op(ctx)
}

func (l *Local) clamp(d time.Duration) time.Duration { return min(max(d, 0), l.opts.MaxTimeout) }
