package iiss

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// AuditRecord describes one state-changing call (Stop, Start, Reboot,
// Kill), whether it succeeded, failed or was refused.
type AuditRecord struct {
	Time     time.Time     // when the call started
	Caller   Caller        // from ctx ([WithCaller]); zero if unknown
	Method   string        // "Stop", "Start", "Reboot", "Kill"; "Local …" for iissd's control socket (internal/ctl)
	Timeout  time.Duration // Stop, Start, Reboot
	Force    bool          // Stop, Reboot
	Result   HRESULT       // what the caller got
	Err      error         // the cause behind a failure, if any
	Duration time.Duration
}

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
func (a *SlogAuditor) Audit(ctx context.Context, r AuditRecord) {
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
	if r.Method == "Stop" || r.Method == "Start" || r.Method == "Reboot" {
		attrs = append(attrs, slog.Int64("timeout_ms", r.Timeout.Milliseconds()))
	}
	if r.Method == "Stop" || r.Method == "Reboot" {
		attrs = append(attrs, slog.Bool("force", r.Force))
	}
	attrs = append(attrs, slog.String("hresult", hex32(uint32(r.Result))), slog.String("result", r.Result.Name()),
		slog.Int64("duration_ms", r.Duration.Milliseconds()))
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", r.Err.Error()))
	}
	a.Logger.LogAttrs(context.WithoutCancel(ctx), level, "iiss audit", attrs...)
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
