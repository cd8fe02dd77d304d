package iiss_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/iiss/iisstest"
	"github.com/iisctl/iisctl/internal/peertest"
)

// TestAuditFailsClosed is point 4: with the audit trail on a full disk
// (/dev/full answers every write with ENOSPC), Stop, Start and Kill are
// refused with ERROR_LOG_FILE_FULL and do nothing; the failure is logged
// once; audit_fail_open lets them through.
func TestAuditFailsClosed(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		peertest.Skip(t, "no /dev/full: %v", err)
	}
	defer full.Close()
	var oplog bytes.Buffer
	log := slog.New(slog.NewTextHandler(&oplog, nil))
	l, ctl := iisstest.NewLocal(t, iisstest.Config{Specs: standardSpecs()},
		iiss.LocalOptions{Auditor: iiss.NewJSONAuditor(full), Logger: log})
	ctx := context.Background()
	before := len(ctl.Manager.Calls())
	for _, call := range []func() error{
		func() error { return l.Stop(ctx, time.Second, true) },
		func() error { return l.Start(ctx, time.Second) },
		func() error { return l.Kill(ctx) },
	} {
		err := call()
		var hr iiss.HRESULT
		if !errors.Is(err, iiss.ErrAuditUnavailable) || !errors.As(err, &hr) || uint32(hr) != 0x800705DE {
			t.Fatalf("with a full audit disk: %v, want ERROR_LOG_FILE_FULL", err)
		}
	}
	if calls := ctl.Manager.Calls()[before:]; len(calls) != 0 {
		t.Fatalf("the manager was called although the trail cannot be written: %v", calls)
	}
	if n := strings.Count(oplog.String(), "the audit trail cannot be written"); n != 1 {
		t.Fatalf("failure logged %d times:\n%s", n, oplog.String())
	}
	t.Logf("Stop/Start/Kill with the audit trail on a full disk: all refused with 0x800705DE, manager untouched, one log line")

	// Fail open when configured.
	l2, ctl2 := iisstest.NewLocal(t, iisstest.Config{Specs: standardSpecs()},
		iiss.LocalOptions{Auditor: iiss.NewJSONAuditor(full), Logger: log, AuditFailOpen: true})
	if err := l2.Stop(ctx, time.Second, true); err != nil {
		t.Fatal("fail-open Stop:", err)
	}
	if len(ctl2.Manager.Calls()) == 0 {
		t.Fatal("fail-open Stop did not reach the manager")
	}
}
