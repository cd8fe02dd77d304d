package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/internal/iisswire"
	"github.com/iisctl/iisctl/internal/winclient"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
	"github.com/iisctl/iisctl/svc"
)

// TestWindowsClassObjectRoad drives iissd with the Windows-shaped client
// (internal/winclient): the RemoteGetClassObject stub of a real Windows 10
// capture with IIsServiceControl's CLSID in place of MMC20.Application's,
// at packet privacy; SPNEGO offering Kerberos and NEGOEX first (iissd
// falls back to NTLM) or raw NTLM with the capture's flags; binds with
// NDR20 + NDR64 + bind-time features; verification trailers; the
// replayed RemQueryInterface(IClassFactory) and CreateInstance; the
// QueryInterface for IClassFactory2 .NET makes; CreateInstance for
// IIisServiceControl (Status and Stop; an NDR64-only offer is refused,
// [MS-DCOM] 2.2.13) and for IDispatch (Start as VBScript calls it);
// RemRelease of everything.
func TestWindowsClassObjectRoad(t *testing.T) {
	rec := winclient.Load(t)
	d := startReady(t, demoOptions{})
	for _, tc := range []struct {
		name       string
		raw, ndr64 bool
	}{
		{"SPNEGO-Kerberos-first/NDR20", false, false},
		{"SPNEGO-Kerberos-first/NDR64-only-refused", false, true},
		{"NTLM/NDR20", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cfg := &winclient.Config{Addr: d.Act.String(), User: testAdmin, Password: testAdminPass,
				RawNTLM: tc.raw, NDR64: tc.ndr64, Rec: rec}
			co, err := winclient.GetClassObject(ctx, cfg, iiss.CLSID_IIisServiceControl)
			if err != nil {
				t.Fatalf("class object: %v\n%s", err, d.Logs())
			}
			defer co.Close()
			if want := spnego.OIDNTLMSSP.String(); !tc.raw && co.Selected() != want {
				t.Errorf("SPNEGO selected %q, want %s", co.Selected(), want)
			}
			if _, err := co.QueryInterfaceClassFactory2(ctx); !errors.Is(err, dcom.E_NOINTERFACE) {
				t.Errorf("QueryInterface(IClassFactory2) = %v, want E_NOINTERFACE", err)
			}
			obj, err := co.CreateInstance(ctx, iiss.IID_IIisServiceControl)
			if err != nil {
				t.Fatalf("CreateInstance(IIisServiceControl): %v\n%s", err, d.Logs())
			}
			disp, err := co.CreateInstance(ctx, dcom.IID_IDispatch)
			if err != nil {
				t.Fatalf("CreateInstance(IDispatch): %v", err)
			}
			if err := co.Release(ctx); err != nil {
				t.Fatalf("releasing the class object: %v", err)
			}

			st, err := wireStatus(ctx, obj)
			if tc.ndr64 {
				var rej *rpc.ContextRejectedError
				if !errors.As(err, &rej) || rej.Reason != rpc.ReasonTransferSyntaxesNS {
					t.Fatalf("Status over an NDR64-only context: %v, want a provider rejection (transfer syntaxes)", err)
				}
				if err := errors.Join(obj.Release(ctx), disp.Release(ctx)); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if got := stateOf(st, "W3SVC"); got != svc.Running {
				t.Fatalf("Status: W3SVC %v, want running (%+v)", got, st)
			}
			if obj.Syntax() != ndr.NDR20 {
				t.Errorf("object calls in %v, want NDR20", obj.Syntax())
			}
			if err := wireStop(ctx, obj, 20*time.Second); err != nil {
				t.Fatalf("Stop: %v\n%s", err, d.Logs())
			}
			waitStates(t, d, map[string]string{"WAS": "Stopped", "W3SVC": "Stopped"})
			if st, err = wireStatus(ctx, obj); err != nil || stateOf(st, "W3SVC") != svc.Stopped {
				t.Fatalf("Status after Stop: %v %+v", err, st)
			}

			// VBScript: o.Start 20000 (an integer literal is VT_I2).
			hr, err := disp.CallByName(ctx, "Start", iisswire.Variant{VT: iisswire.VT_I2, Int: 20000})
			if err != nil || hr != iiss.S_OK {
				t.Fatalf("IDispatch Start = %v, %v\n%s", hr, err, d.Logs())
			}
			waitStates(t, d, map[string]string{"WAS": "Running", "W3SVC": "Running"})
			if hr, err := disp.CallByName(ctx, "Stopp"); err != nil || hr != hresult.DISP_E_UNKNOWNNAME {
				t.Errorf("IDispatch unknown name = %v, %v; want DISP_E_UNKNOWNNAME", hr, err)
			}
			if err := errors.Join(obj.Release(ctx), disp.Release(ctx)); err != nil {
				t.Fatalf("RemRelease: %v", err)
			}
			if err := obj.Call(ctx, 7, nil, nil); err == nil {
				t.Error("a call after RemRelease succeeded")
			}
		})
	}
	if n := strings.Count(d.Logs(), "class object activated"); n != 3 {
		t.Errorf("iissd logged %d class-object activations, want 3", n)
	}
}

// wireStatus is one Status call with a 4096-byte buffer, through the
// wire stubs (the Windows-shaped client is not an iiss.Client).
func wireStatus(ctx context.Context, obj *winclient.Object) ([]iisswire.Entry, error) {
	var resp iisswire.StatusResponse
	err := obj.Call(ctx, iisswire.OpStatus, func(w *ndr.Writer) { iisswire.EncodeStatusRequest(w, 4096) },
		func(r *ndr.Reader) (err error) {
			resp, err = iisswire.DecodeStatusResponse(r, 4096)
			return err
		})
	if err != nil {
		return nil, err
	}
	if resp.Result.Failed() {
		return nil, resp.Result
	}
	list, _, err := iisswire.DecodeStatusBlob(resp.Buffer, resp.NumServices)
	return list, err
}

// wireStop is Stop, unforced, through the wire stubs.
func wireStop(ctx context.Context, obj *winclient.Object, timeout time.Duration) error {
	var hr iisswire.HRESULT
	err := obj.Call(ctx, iisswire.OpStop, func(w *ndr.Writer) { iisswire.EncodeStopRequest(w, timeout, false) },
		func(r *ndr.Reader) (err error) {
			hr, err = iisswire.DecodeResultResponse(r)
			return err
		})
	if err != nil {
		return err
	}
	return hr.Err()
}

func stateOf(list []iisswire.Entry, name string) svc.State {
	for _, s := range list {
		if s.Name == name {
			return s.State
		}
	}
	return 0
}
