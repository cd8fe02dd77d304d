package iiss_test

// End to end at the wire: Status's dwBufferSize handling ([MS-IISS]
// 3.1.4.4) over a real DCOM activation of iiss.NewServer.

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/iiss/iisstest"
	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// activateRaw returns IIisServiceControl on addr as the administrator,
// for calls with hand-made stubs.
func activateRaw(t testing.TB, ctx context.Context, addr string) *dcom.Interface {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	itf, err := dcom.Activate(ctx, dcom.ClientConfig{
		Host: host, Port: p, PingPeriod: -1,
		Auth: ntlm.Initiator{Config: ntlm.ClientConfig{User: adminUser, Password: adminPass}},
	}, iiss.CLSID_IIisServiceControl, iiss.IID_IIisServiceControl)
	if err != nil {
		t.Fatalf("activation: %v", err)
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

func TestWireStatusBufferSizing(t *testing.T) {
	t.Parallel()
	local, _ := iisstest.NewLocal(t, iisstest.Config{Specs: standardSpecs()}, iiss.LocalOptions{})
	addr := serveLoopback(t, local, iiss.ServerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	itf := activateRaw(t, ctx, addr)

	want, err := local.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	required := uint32(iiss.RequiredSize(want))
	if n := len(want); required <= uint32(36*n) {
		t.Fatalf("RequiredSize %d for %d services", required, n)
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
		if resp.Result != iiss.S_OK || resp.NumServices != uint32(len(want)) || resp.RequiredSize != required || uint32(len(resp.Buffer)) != size {
			t.Fatalf("Status(%d): %v, %d services, required %d, %d bytes; want S_OK, %d, %d, %d",
				size, resp.Result, resp.NumServices, resp.RequiredSize, len(resp.Buffer), len(want), required, size)
		}
		list, unit, err := iiss.DecodeStatusBlob(resp.Buffer, resp.NumServices)
		if err != nil || unit != iiss.OffsetWCHAR {
			t.Fatalf("Status(%d): blob: %v, offsets in unit %v (want WCHAR)", size, err, unit)
		}
		for i, s := range list {
			if s != want[i] {
				t.Fatalf("Status(%d): entry %d is %+v, want %+v", size, i, s, want[i])
			}
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
		if !errors.As(err, &fe) || fe.Status != rpc.StatusRemoteNoMemory {
			t.Fatalf("Status(%d): %v, want fault 0x1C00001B (nca_s_fault_remote_no_memory)", size, err)
		}
		resp, err := rawStatus(ctx, itf, required)
		if err != nil || resp.Result != iiss.S_OK {
			t.Fatalf("Status after the fault: %+v, %v", resp, err)
		}
	}
	resp, err := rawStatus(ctx, activateRaw(t, ctx, addr), required)
	if err != nil || resp.Result != iiss.S_OK {
		t.Fatalf("Status on a new activation: %v %v", resp.Result, err)
	}
}

// TestWireStatusBufferBound: ServerConfig.MaxStatusBuffer moves the
// bound, and the Client's first guess (4096) still works under it.
func TestWireStatusBufferBound(t *testing.T) {
	t.Parallel()
	local, _ := iisstest.NewLocal(t, iisstest.Config{Specs: standardSpecs()}, iiss.LocalOptions{})
	addr := serveLoopback(t, local, iiss.ServerConfig{MaxStatusBuffer: 4096})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	itf := activateRaw(t, ctx, addr)
	if resp, err := rawStatus(ctx, itf, 4096); err != nil || resp.Result != iiss.S_OK {
		t.Fatalf("Status(4096): %v %v", resp.Result, err)
	}
	_, err := rawStatus(ctx, itf, 4097)
	var fe *rpc.FaultError
	if !errors.As(err, &fe) || fe.Status != rpc.StatusRemoteNoMemory {
		t.Fatalf("Status(4097): %v, want nca_s_fault_remote_no_memory", err)
	}
	if list, err := dialAdmin(t, ctx, addr).Status(ctx); err != nil || len(list) != len(standardSpecs()) {
		t.Fatalf("Client.Status: %v %v", list, err)
	}
}
