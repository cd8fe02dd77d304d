package main

// End-to-end at the wire: Status's dwBufferSize handling ([MS-IISS]
// 3.1.4.4; wire-contract §6), over a real DCOM activation of iissd.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/iisctl/iisctl/dcom"
	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// activate returns IIisServiceControl on d, as the administrator.
func activate(t testing.TB, ctx context.Context, d *demoServer) *dcom.Interface {
	t.Helper()
	host, port, _ := net.SplitHostPort(d.Act.String())
	p, _ := strconv.Atoi(port)
	itf, err := dcom.Activate(ctx, dcom.ClientConfig{
		Host: host, Port: p, PingPeriod: -1,
		Auth: ntlm.Initiator{Config: ntlm.ClientConfig{User: testAdmin, Password: testAdminPass}},
	}, iiss.CLSID_IIisServiceControl, iiss.IID_IIisServiceControl)
	if err != nil {
		t.Fatalf("activation: %v\n%s", err, d.Logs())
	}
	t.Cleanup(func() { itf.Close() })
	return itf
}

// rawStatus sends Status with an arbitrary dwBufferSize.
func rawStatus(ctx context.Context, itf *dcom.Interface, size uint32) (iiss.StatusResponse, error) {
	var resp iiss.StatusResponse
	err := itf.Call(ctx, iiss.OpStatus, func(w *ndr.Writer) { iiss.EncodeStatusRequest(w, size) },
		func(r *ndr.Reader) (err error) {
			resp, err = iiss.DecodeStatusResponse(r, size)
			return err
		})
	return resp, err
}

func TestE2EStatusBufferSizing(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	itf := activate(t, ctx, d)

	// The size the three demo services need: 36 bytes each, then the
	// UTF-16 names and display names with their NULs.
	want := []iiss.ServiceStatus{
		{Name: "WAS", DisplayName: "Windows Process Activation Service"},
		{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service"},
		{Name: "FTPSVC", DisplayName: "Microsoft FTP Service"},
	}
	required := uint32(iiss.RequiredSize(want))
	if required != 3*36+2*(4+35+6+34+7+22) {
		t.Fatalf("RequiredSize %d", required)
	}

	for _, size := range []uint32{0, 1, 36, required - 1} {
		resp, err := rawStatus(ctx, itf, size)
		if err != nil {
			t.Fatalf("Status(%d): %v", size, err)
		}
		if resp.Result != iiss.ERROR_INSUFFICIENT_BUFFER || uint32(resp.Result) != 0x8007007A {
			t.Fatalf("Status(%d): %v, want 0x8007007A", size, resp.Result)
		}
		if uint32(len(resp.Buffer)) != size || !bytes.Equal(resp.Buffer, make([]byte, size)) {
			t.Fatalf("Status(%d): buffer of %d bytes %x, want %d zero bytes", size, len(resp.Buffer), resp.Buffer, size)
		}
		if resp.RequiredSize != required || resp.NumServices != 0 {
			t.Fatalf("Status(%d): required %d, %d services; want %d, 0", size, resp.RequiredSize, resp.NumServices, required)
		}
	}

	for _, size := range []uint32{required, required + 100, 1 << 20} {
		resp, err := rawStatus(ctx, itf, size)
		if err != nil {
			t.Fatalf("Status(%d): %v", size, err)
		}
		if resp.Result != iiss.S_OK || resp.NumServices != 3 || resp.RequiredSize != required || uint32(len(resp.Buffer)) != size {
			t.Fatalf("Status(%d): %v, %d services, required %d, %d bytes; want S_OK, 3, %d, %d",
				size, resp.Result, resp.NumServices, resp.RequiredSize, len(resp.Buffer), required, size)
		}
		list, unit, err := iiss.DecodeStatusBlob(resp.Buffer, resp.NumServices)
		if err != nil || unit != iiss.OffsetWCHAR {
			t.Fatalf("Status(%d): blob: %v, offsets in unit %v (want WCHAR)", size, err, unit)
		}
		for i, s := range list {
			if s.Name != want[i].Name || s.DisplayName != want[i].DisplayName {
				t.Fatalf("Status(%d): entry %d is %s/%s", size, i, s.Name, s.DisplayName)
			}
		}
		if list[0].State.String() != "Running" || list[2].State.String() != "Stopped" {
			t.Fatalf("Status(%d): states %v %v", size, list[0].State, list[2].State)
		}
		if size == required {
			continue
		}
		if tail := resp.Buffer[required:]; !bytes.Equal(tail, make([]byte, len(tail))) {
			t.Fatalf("Status(%d): bytes after the blob are not zero", size)
		}
	}

	// Above the 1 MiB bound: a fault, nothing allocated, and the server
	// goes on serving, on the same connection and a new one.
	for _, size := range []uint32{1<<20 + 1, 0xFFFFFFFF} {
		_, err := rawStatus(ctx, itf, size)
		var fe *rpc.FaultError
		if !errors.As(err, &fe) || fe.Status != 0x1C00001B {
			t.Fatalf("Status(%d): %v, want fault 0x1C00001B (nca_s_fault_remote_no_memory)", size, err)
		}
		resp, err := rawStatus(ctx, itf, required)
		if err != nil || resp.Result != iiss.S_OK || resp.NumServices != 3 {
			t.Fatalf("Status after the fault: %+v, %v", resp, err)
		}
	}
	resp, err := rawStatus(ctx, activate(t, ctx, d), required)
	if err != nil || resp.Result != iiss.S_OK {
		t.Fatalf("Status on a new activation: %v %v", resp.Result, err)
	}
	r := admin(t, "status", d.Target())
	wantCode(t, r, 0)
}

// TestE2EStatusBufferBoundConfig: [control] status_max_buffer moves the
// bound.
func TestE2EStatusBufferBoundConfig(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{Edit: func(c *Config) { c.Control.StatusMaxBuffer = 4096 }})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	itf := activate(t, ctx, d)
	if resp, err := rawStatus(ctx, itf, 4096); err != nil || resp.Result != iiss.S_OK {
		t.Fatalf("Status(4096): %v %v", resp.Result, err)
	}
	_, err := rawStatus(ctx, itf, 4097)
	var fe *rpc.FaultError
	if !errors.As(err, &fe) || fe.Status != rpc.StatusRemoteNoMemory {
		t.Fatalf("Status(4097): %v, want nca_s_fault_remote_no_memory", err)
	}
	// iisctl's first guess is 4096: it still works.
	wantCode(t, admin(t, "status", d.Target()), 0)
}
