package iiss_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/iiss/iisstest"
	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/svctest"
)

func TestHRESULT(t *testing.T) {
	if iiss.FromWin32(0x10D5) != iiss.ERROR_RESOURCE_DISABLED || iiss.FromWin32(8) != iiss.E_ERROR_NOT_ENOUGH_MEMORY || iiss.FromWin32(0) != iiss.S_OK {
		t.Fatal("FromWin32")
	}
	wrapped := errors.Join(errors.New("x"), iiss.HRESULT(0x800710D5))
	if !errors.Is(wrapped, iiss.ErrResourceDisabled) || errors.Is(wrapped, iiss.ErrNotImpl) {
		t.Fatal("errors.Is")
	}
	if !errors.Is(iiss.HRESULT(0x8000041D), iiss.ErrServiceRequestTimeout) {
		t.Fatal("0x8000041D is not the timeout")
	}
	if got := iiss.DISP_E_BADINDEX.Error(); got != "hresult: DISP_E_BADINDEX (0x8002000B)" {
		t.Fatal(got)
	}
	var dh dcom.HRESULT = iiss.E_ACCESSDENIED // one type across the stack
	if !errors.Is(fmt.Errorf("activate: %w", dh), iiss.ErrAccessDenied) {
		t.Fatal("a dcom HRESULT does not match the iiss sentinel")
	}
	if hr, ok := iiss.AsHRESULT(errors.New("plain")); ok || hr != iiss.E_FAIL {
		t.Fatal("AsHRESULT of a plain error")
	}
	if iiss.S_OK.Err() != nil || iiss.E_FAIL.Err() == nil {
		t.Fatal("Err")
	}
}

func TestAuditJSON(t *testing.T) {
	var buf bytes.Buffer
	l, ctl := iisstest.NewLocal(t, iisstest.Config{Specs: standardSpecs()}, iiss.LocalOptions{Auditor: iiss.NewJSONAuditor(&buf)})
	ctx := iiss.WithCaller(context.Background(), iiss.Caller{User: `DOM\admin`, Addr: netip.MustParseAddrPort("192.0.2.1:5000")})
	_ = l.Start(ctx, time.Second)
	_ = l.Stop(ctx, time.Second, true)
	_ = l.Reboot(ctx, time.Second, false)
	_, _ = l.Status(ctx) // not audited
	ctl.SetDisabled(true)
	_ = l.Kill(ctx)
	var recs []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if m["msg"] == "iiss audit request" {
			continue // written before each change that is not refused first
		}
		recs = append(recs, m)
	}
	want := []struct{ method, result string }{{"Start", "S_OK"}, {"Stop", "S_OK"}, {"Reboot", "E_NOTIMPL"}, {"Kill", "ERROR_RESOURCE_DISABLED"}}
	if len(recs) != len(want) {
		t.Fatalf("%d records: %s", len(recs), buf.String())
	}
	for i, w := range want {
		r := recs[i]
		if r["method"] != w.method || r["result"] != w.result || r["user"] != `DOM\admin` || r["addr"] != "192.0.2.1:5000" || r["msg"] != "iiss audit" {
			t.Errorf("record %d: %v", i, r)
		}
	}
	if recs[1]["force"] != true || recs[1]["timeout_ms"] != float64(1000) || recs[3]["hresult"] != "0x800710D5" {
		t.Errorf("arguments: %v / %v", recs[1], recs[3])
	}
}

func TestFileDisableSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	d, err := iiss.NewFileDisableState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if on, err := d.Disabled(); on || err != nil {
		t.Fatalf("fresh state: %v %v", on, err)
	}
	if err := d.Disable(); err != nil {
		t.Fatal(err)
	}
	// A new process: a new state over the same directory, a new Local.
	d2, _ := iiss.NewFileDisableState(dir)
	mgr := svctest.NewFake(standardSpecs()...)
	l := iiss.NewLocal(mgr, iiss.LocalOptions{Disable: d2, Rebooter: func(context.Context, time.Duration, bool) error {
		t.Error("rebooter called while disabled")
		return nil
	}})
	ctx := context.Background()
	for name, err := range map[string]error{
		"Start": l.Start(ctx, time.Second), "Stop": l.Stop(ctx, time.Second, true),
		"Reboot": l.Reboot(ctx, time.Second, true), "Kill": l.Kill(ctx),
	} {
		if !errors.Is(err, iiss.ErrResourceDisabled) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := l.Status(ctx); !errors.Is(err, iiss.ErrResourceDisabled) {
		t.Errorf("Status: %v", err)
	}
	if calls := mgr.Calls(); len(calls) != 0 {
		t.Errorf("manager called while disabled: %v", calls)
	}
	if err := d2.Enable(); err != nil {
		t.Fatal(err)
	}
	if err := d2.Enable(); err != nil {
		t.Fatalf("second Enable: %v", err)
	}
	if err := l.Start(ctx, time.Second); err != nil {
		t.Fatalf("Start after Enable: %v", err)
	}
}

func TestRebooterError(t *testing.T) {
	l := iiss.NewLocal(svctest.NewFake(), iiss.LocalOptions{Rebooter: func(context.Context, time.Duration, bool) error {
		return errors.New("shutdown: permission denied")
	}})
	if err := l.Reboot(context.Background(), 0, false); !errors.Is(err, iiss.ErrFail) {
		t.Fatalf("%v", err)
	}
}

func TestFetchStatusRetries(t *testing.T) {
	blob := iiss.EncodeStatusBlob(exampleServices)
	var sizes []uint32
	// A server reading "not greater than" strictly answers 0x7A to an
	// exact-size buffer once ([MS-IISS] 3.1.4.4).
	call := func(_ context.Context, size uint32) (iiss.StatusResponse, error) {
		sizes = append(sizes, size)
		if size <= uint32(len(blob)) && len(sizes) < 3 {
			return iiss.StatusResponse{Buffer: make([]byte, size), RequiredSize: uint32(len(blob)), Result: iiss.ERROR_INSUFFICIENT_BUFFER}, nil
		}
		b := make([]byte, size)
		copy(b, blob)
		return iiss.StatusResponse{Buffer: b, RequiredSize: uint32(len(blob)), NumServices: 2}, nil
	}
	list, err := iiss.FetchStatus(context.Background(), call, iiss.StatusFetchOptions{InitialSize: 10})
	if err != nil || len(list) != 2 || len(sizes) != 3 || sizes[1] != 206 || sizes[2] != 208 {
		t.Fatalf("%v %v sizes %v", list, err, sizes)
	}
	sizes = nil
	_, err = iiss.FetchStatus(context.Background(), call, iiss.StatusFetchOptions{InitialSize: 10, MaxSize: 100})
	if !errors.Is(err, iiss.ErrInsufficientBuffer) {
		t.Fatalf("over the limit: %v", err)
	}
	disabled := func(context.Context, uint32) (iiss.StatusResponse, error) {
		return iiss.StatusResponse{Result: iiss.ERROR_RESOURCE_DISABLED}, nil
	}
	if _, err := iiss.FetchStatus(context.Background(), disabled, iiss.StatusFetchOptions{}); !errors.Is(err, iiss.ErrResourceDisabled) {
		t.Fatalf("disabled: %v", err)
	}
}

// snapshotFake is a Manager that answers from memory (svc.Snapshotter).
type snapshotFake struct {
	*svctest.Fake
	snapshots int
}

func (f *snapshotFake) Snapshot() ([]svc.Status, error) {
	f.snapshots++
	return f.Fake.Services(context.Background())
}

// Status over a svc.Snapshotter uses Snapshot (no per-call deadline) and
// still honours a cancelled call.
func TestLocalStatusSnapshot(t *testing.T) {
	mgr := &snapshotFake{Fake: svctest.NewFake(standardSpecs()...)}
	l := iiss.NewLocal(mgr, iiss.LocalOptions{})
	want, _ := mgr.Fake.Services(context.Background())
	got, err := l.Status(context.Background())
	if err != nil || len(got) != len(want) || got[0].Name != want[0].Name || mgr.snapshots != 1 {
		t.Fatalf("Status = %v, %v (%d snapshots)", got, err, mgr.snapshots)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Status(ctx); !errors.Is(err, context.Canceled) || mgr.snapshots != 1 {
		t.Fatalf("cancelled Status: %v (%d snapshots)", err, mgr.snapshots)
	}
}
