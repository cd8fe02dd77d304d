package iiss

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// AuditRecord describes one state-changing call (Stop, Start, Reboot,
// Kill), whether it succeeded, failed or was refused; a refused logon or
// call ("Logon", "Call", with Mechanism and Reason); or a local
// administrative action (disable, enable, user add/del, reload).
type AuditRecord struct {
	Time      time.Time     // when the call started
	Caller    Caller        // from ctx ([WithCaller]); zero if unknown
	Method    string        // "Stop", "Start", "Reboot", "Kill", "Logon", ...; "Local …" for iissd's control socket (internal/ctl)
	Timeout   time.Duration // Stop, Start, Reboot
	Force     bool          // Stop, Reboot
	Result    HRESULT       // what the caller got
	Err       error         // the cause behind a failure, if any
	Duration  time.Duration
	Mechanism string // refusals: NTLM, SPNEGO, Kerberos, local (accepted calls: Caller.Mech)
	Reason    string // refusals: why, e.g. "bad credentials", "throttled"
}

// CheckedAuditor is an Auditor that reports whether its records reached
// the trail. [Local] writes a request record before each state change and
// refuses the change when that fails (fail closed; LocalOptions.AuditFailOpen
// turns it off). [SlogAuditor] implements it.
type CheckedAuditor interface {
	Auditor
	// AuditRequest records that a state change is about to run.
	AuditRequest(ctx context.Context, r AuditRecord) error
	// AuditChecked is Audit returning the write error.
	AuditChecked(ctx context.Context, r AuditRecord) error
}

// ErrAuditUnavailable: a state-changing call refused because the audit
// trail cannot be written: HRESULT_FROM_WIN32(ERROR_LOG_FILE_FULL), 0x800705DE.
var ErrAuditUnavailable error = FromWin32(1502)

// Auditor receives audit records. Audit must not block for long: it runs
// on the call's goroutine before the answer is sent.
type Auditor interface {
	Audit(ctx context.Context, r AuditRecord)
}

// AuditorFunc adapts a function to Auditor.
type AuditorFunc func(ctx context.Context, r AuditRecord)

// Audit implements Auditor.
func (f AuditorFunc) Audit(ctx context.Context, r AuditRecord) { f(ctx, r) }

// SlogAuditor writes records through a slog.Logger, one "iiss audit"
// message per call at level Info (Warn for failures).
type SlogAuditor struct{ Logger *slog.Logger }

// NewJSONAuditor writes JSON lines to w, e.g.
//
//	{"time":"…","level":"INFO","msg":"iiss audit","user":"DOM\\admin","addr":"10.0.0.5:49731",
//	 "method":"Stop","timeout_ms":20000,"force":true,"hresult":"0x00000000","result":"S_OK","duration_ms":312}
func NewJSONAuditor(w io.Writer) *SlogAuditor {
	return &SlogAuditor{Logger: slog.New(slog.NewJSONHandler(w, nil))}
}

// Audit implements Auditor.
func (a *SlogAuditor) Audit(ctx context.Context, r AuditRecord) { _ = a.AuditChecked(ctx, r) }

// AuditRequest implements CheckedAuditor: one "iiss audit request" line
// naming who asks for what, written before the change runs.
func (a *SlogAuditor) AuditRequest(ctx context.Context, r AuditRecord) error {
	addr := ""
	if r.Caller.Addr.IsValid() {
		addr = r.Caller.Addr.String()
	}
	rec := slog.NewRecord(r.Time, slog.LevelInfo, "iiss audit request", 0)
	rec.AddAttrs(slog.String("user", r.Caller.User), slog.String("addr", addr), slog.String("method", r.Method))
	return a.Logger.Handler().Handle(context.WithoutCancel(ctx), rec)
}

// AuditChecked implements CheckedAuditor.
func (a *SlogAuditor) AuditChecked(ctx context.Context, r AuditRecord) error {
	level := slog.LevelInfo
	if r.Result.Failed() {
		level = slog.LevelWarn
	}
	addr := ""
	if r.Caller.Addr.IsValid() {
		addr = r.Caller.Addr.String()
	}
	attrs := []slog.Attr{
		slog.String("user", r.Caller.User), slog.String("addr", addr), slog.String("method", r.Method),
	}
	switch r.Method {
	case "Stop", "Reboot":
		attrs = append(attrs, slog.Int64("timeout_ms", r.Timeout.Milliseconds()), slog.Bool("force", r.Force))
	case "Start":
		attrs = append(attrs, slog.Int64("timeout_ms", r.Timeout.Milliseconds()))
	}
	if m := r.Mechanism; m != "" || r.Caller.Mech != "" {
		if m == "" {
			m = r.Caller.Mech // who authenticated an accepted call
		}
		attrs = append(attrs, slog.String("mechanism", m))
	}
	if r.Reason != "" {
		attrs = append(attrs, slog.String("reason", r.Reason))
	}
	attrs = append(attrs, slog.String("hresult", hex32(uint32(r.Result))), slog.String("result", r.Result.Name()),
		slog.Int64("duration_ms", r.Duration.Milliseconds()))
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", r.Err.Error()))
	}
	if !a.Logger.Enabled(ctx, level) {
		return nil
	}
	rec := slog.NewRecord(time.Now(), level, "iiss audit", 0)
	rec.AddAttrs(attrs...)
	return a.Logger.Handler().Handle(context.WithoutCancel(ctx), rec)
}

func hex32(v uint32) string {
	const digits = "0123456789ABCDEF"
	b := []byte("0x00000000")
	for i := 9; i >= 2; i-- {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return string(b)
}
