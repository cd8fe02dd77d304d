package iiss_test

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/iiss/iisstest"
	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// loopConn runs calls through Server.Invoke in one transfer syntax,
// without ORPC headers, as the DCOM runtime would after ORPCTHIS.
type loopConn struct {
	srv    *iiss.Object
	syntax ndr.Syntax
	iid    ndr.GUID
}

func (c *loopConn) Call(ctx context.Context, op uint16, req func(*ndr.Writer), resp func(*ndr.Reader) error) error {
	w := ndr.NewWriter(c.syntax)
	req(w)
	if err := w.Err(); err != nil {
		return err
	}
	out := ndr.NewWriter(c.syntax)
	call := &dcom.Call{IID: c.iid, Opnum: op, In: ndr.NewReader(w.Bytes(), c.syntax), Out: out,
		Caller: dcom.Caller{Peer: rpc.Peer{User: "admin", Domain: "DOM"}, RemoteAddr: netip.MustParseAddrPort("192.0.2.7:49731")}}
	if err := c.srv.Invoke(ctx, call); err != nil {
		return err
	}
	return resp(ndr.NewReader(out.Bytes(), c.syntax))
}

func wireFactory(syntax ndr.Syntax) iisstest.Factory {
	return func(t *testing.T, cfg iisstest.Config) (iiss.Service, iisstest.Control) {
		local, ctl := iisstest.LocalFactory(t, cfg)
		srv := iiss.NewObject(local, iiss.ObjectOptions{})
		return iiss.NewClient(&loopConn{srv: srv, syntax: syntax, iid: iiss.IID_IIisServiceControl},
			iiss.StatusFetchOptions{InitialSize: 16}), ctl
	}
}

func TestWireContractNDR20(t *testing.T) { iisstest.TestService(t, wireFactory(ndr.NDR20)) }
func TestWireContractNDR64(t *testing.T) { iisstest.TestService(t, wireFactory(ndr.NDR64)) }

func invoke(t *testing.T, srv *iiss.Object, syn ndr.Syntax, iid ndr.GUID, op uint16, in []byte) ([]byte, error) {
	t.Helper()
	out := ndr.NewWriter(syn)
	err := srv.Invoke(context.Background(), &dcom.Call{IID: iid, Opnum: op, In: ndr.NewReader(in, syn), Out: out})
	return out.Bytes(), err
}

func faultStatus(err error) uint32 {
	var f interface{ RPCFaultStatus() uint32 }
	if errors.As(err, &f) {
		return f.RPCFaultStatus()
	}
	return 0
}

func TestStatusSizing(t *testing.T) {
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		t.Run(syn.String(), func(t *testing.T) {
			local, _ := iisstest.LocalFactory(t, iisstest.Config{Specs: standardSpecs()})
			list, _ := local.Status(context.Background())
			blob := iiss.EncodeStatusBlob(list)
			req := uint32(len(blob))
			srv := iiss.NewObject(local, iiss.ObjectOptions{MaxStatusBuffer: 4096})
			status := func(size uint32) (iiss.StatusResponse, error) {
				w := ndr.NewWriter(syn)
				iiss.EncodeStatusRequest(w, size)
				out, err := invoke(t, srv, syn, iiss.IID_IIisServiceControl, iiss.OpStatus, w.Bytes())
				if err != nil {
					return iiss.StatusResponse{}, err
				}
				return iiss.DecodeStatusResponse(ndr.NewReader(out, syn), size)
			}
			small, err := status(req - 1)
			if err != nil || small.Result != iiss.ERROR_INSUFFICIENT_BUFFER || small.RequiredSize != req ||
				small.NumServices != 0 || !bytes.Equal(small.Buffer, make([]byte, req-1)) {
				t.Fatalf("too small: %+v %v", small, err)
			}
			exact, err := status(req)
			if err != nil || exact.Result != iiss.S_OK || exact.NumServices != uint32(len(list)) || !bytes.Equal(exact.Buffer, blob) {
				t.Fatalf("exact: %+v %v", exact, err)
			}
			big, err := status(req + 100)
			if err != nil || big.Result != iiss.S_OK || !bytes.Equal(big.Buffer[:req], blob) || len(big.Buffer) != int(req)+100 {
				t.Fatalf("larger: %+v %v", big, err)
			}
			_, err = status(4097)
			if faultStatus(err) != 0x1C00001B {
				t.Fatalf("above the bound: %v, want fault 0x1C00001B", err)
			}
			_, err = status(0xFFFFFFFF)
			if faultStatus(err) != 0x1C00001B {
				t.Fatalf("0xFFFFFFFF: %v, want fault 0x1C00001B", err)
			}
		})
	}
}

func TestDecodeStatusResponseCountMismatch(t *testing.T) {
	w := ndr.NewWriter(ndr.NDR20)
	w.Marshal(&iiss.StatusResponse{Buffer: make([]byte, 8), Result: iiss.S_OK})
	if _, err := iiss.DecodeStatusResponse(ndr.NewReader(w.Bytes(), ndr.NDR20), 16); !errors.Is(err, ndr.ErrMalformed) {
		t.Fatalf("pbBuffer count 8 for dwBufferSize 16 accepted: %v", err)
	}
}

func TestOpnumRange(t *testing.T) {
	srv := iiss.NewObject(iisstest.NewFake(nil, false), iiss.ObjectOptions{})
	for _, c := range []struct {
		iid ndr.GUID
		op  uint16
	}{{iiss.IID_IIisServiceControl, 12}, {iiss.IID_IIisServiceControl, 0}, {iiss.IID_IDispatch, 7}, {iiss.IID_IIisServiceControl, 0xFFFF}} {
		if _, err := invoke(t, srv, ndr.NDR20, c.iid, c.op, nil); faultStatus(err) != 0x1C010002 {
			t.Errorf("%v opnum %d: %v, want nca_s_op_rng_error", c.iid, c.op, err)
		}
	}
}

func TestShortStubFaults(t *testing.T) {
	srv := iiss.NewObject(iisstest.NewFake(nil, false), iiss.ObjectOptions{})
	for _, op := range []uint16{4, 5, 6, 7, 8, 9, 10} {
		if _, err := invoke(t, srv, ndr.NDR20, iiss.IID_IIisServiceControl, op, []byte{1}); faultStatus(err) != 0x6F7 {
			t.Errorf("opnum %d with a 1-byte stub: %v, want fault 0x6F7", op, err)
		}
	}
}

// TestRoundTrips checks each opnum's bytes in both syntaxes.
func TestRoundTrips(t *testing.T) {
	golden := map[ndr.Syntax]map[uint16][2]string{
		ndr.NDR20: {
			iiss.OpStop:   {"10270000 01000000", "00000000"},
			iiss.OpStart:  {"10270000", "00000000"},
			iiss.OpReboot: {"e8030000 00000000", "01400080"},
			iiss.OpKill:   {"", "00000000"},
			iiss.OpStatus: {"04000000", "04000000 00000000 0c010000 00000000 7a000780"},
		},
		ndr.NDR64: {
			iiss.OpStop:   {"10270000 01000000", "00000000"},
			iiss.OpStart:  {"10270000", "00000000"},
			iiss.OpReboot: {"e8030000 00000000", "01400080"},
			iiss.OpKill:   {"", "00000000"},
			iiss.OpStatus: {"04000000", "0400000000000000 00000000 0c010000 00000000 7a000780"},
		},
	}
	for syn, ops := range golden {
		for op, g := range ops {
			f := iisstest.NewFake(standardSpecs(), false)
			srv := iiss.NewObject(f, iiss.ObjectOptions{})
			w := ndr.NewWriter(syn)
			switch op {
			case iiss.OpStop:
				iiss.EncodeStopRequest(w, 10*time.Second, true)
			case iiss.OpStart:
				iiss.EncodeStartRequest(w, 10*time.Second)
			case iiss.OpReboot:
				iiss.EncodeRebootRequest(w, time.Second, false)
			case iiss.OpStatus:
				iiss.EncodeStatusRequest(w, 4)
			}
			if got, want := w.Bytes(), unhex(t, g[0]); !bytes.Equal(got, want) {
				t.Errorf("%v op %d request % x, want % x", syn, op, got, want)
			}
			out, err := invoke(t, srv, syn, iiss.IID_IIisServiceControl, op, w.Bytes())
			if err != nil {
				t.Fatalf("%v op %d: %v", syn, op, err)
			}
			if want := unhex(t, g[1]); !bytes.Equal(out, want) {
				t.Errorf("%v op %d response % x, want % x", syn, op, out, want)
			}
		}
	}
}

func TestCallerReachesService(t *testing.T) {
	var got iiss.AuditRecord
	local, _ := iisstest.NewLocal(t, iisstest.Config{Specs: standardSpecs()}, iiss.LocalOptions{
		Auditor: iiss.AuditorFunc(func(_ context.Context, r iiss.AuditRecord) { got = r })})
	c := iiss.NewClient(&loopConn{srv: iiss.NewObject(local, iiss.ObjectOptions{}), syntax: ndr.NDR20, iid: iiss.IID_IIisServiceControl}, iiss.StatusFetchOptions{})
	if err := c.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Caller.User != `DOM\admin` || got.Caller.Addr.String() != "192.0.2.7:49731" || got.Method != "Kill" {
		t.Fatalf("audit record %+v", got)
	}
}
