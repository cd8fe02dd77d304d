package dcom

import (
	"errors"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

// CLSID_DualEcho is the echo object registered as a dual class (IEcho and IDispatch).
var CLSID_DualEcho = ndr.MustGUID("6b1c2a63-1111-4d2e-9a55-0123456789ab")

func registerDualEcho(t *testing.T, f *fixture) {
	t.Helper()
	c := f.echo.class()
	c.CLSID, c.Name, c.IIDs = CLSID_DualEcho, "DualEcho", []ndr.GUID{IID_IEcho, IID_IDispatch}
	if err := f.srv.Register(c); err != nil {
		t.Fatal(err)
	}
}

// TestClassObjectRoad: the road of CoGetClassObject through both
// activators (RemoteGetClassObject; RemoteActivation in
// MODE_GET_CLASS_OBJECT) with NTLM and SPNEGO: the class object answers
// IClassFactory and IUnknown only, creates instances for the class's
// interfaces (IDispatch included on a dual class), refuses others with
// E_NOINTERFACE creating nothing, and refuses aggregation; releasing it
// leaves its instances alive.
func TestClassObjectRoad(t *testing.T) {
	for _, tc := range []struct {
		name        string
		legacy, spn bool
	}{
		{"RemoteGetClassObject/NTLM", false, false},
		{"RemoteGetClassObject/SPNEGO", false, true},
		{"RemoteActivation/NTLM", true, false},
		{"RemoteActivation/SPNEGO", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startServer(t, nil)
			registerDualEcho(t, f)
			ctx := testCtx(t)
			cfg := f.clientConfig(testUser, tc.spn)
			cfg.RemoteActivation = tc.legacy
			cf, err := GetClassObject(ctx, cfg, CLSID_DualEcho)
			if err != nil {
				t.Fatalf("GetClassObject: %v", err)
			}
			if f.echo.created.Load() != 0 || f.srv.tab.count() != 1 {
				t.Fatalf("class object: created %d instances, %d objects", f.echo.created.Load(), f.srv.tab.count())
			}
			for _, iid := range []ndr.GUID{IID_IClassFactory2, IID_IDispatch, IID_IEcho} {
				if _, err := cf.QueryInterface(ctx, iid); !errors.Is(err, E_NOINTERFACE) {
					t.Fatalf("class object QueryInterface(%s) = %v, want E_NOINTERFACE", iid, err)
				}
			}
			unk, err := cf.QueryInterface(ctx, IID_IUnknown)
			if err != nil {
				t.Fatalf("class object QueryInterface(IUnknown): %v", err)
			}
			if unk.OID() != cf.OID() {
				t.Fatalf("IUnknown OID %#x, class object %#x", unk.OID(), cf.OID())
			}
			if err := unk.Close(); err != nil {
				t.Fatal(err)
			}
			if err := cf.LockServer(ctx, true); err != nil {
				t.Fatalf("LockServer(TRUE): %v", err)
			}
			if err := cf.LockServer(ctx, false); err != nil {
				t.Fatalf("LockServer(FALSE): %v", err)
			}
			_, err = cf.CreateInstance(ctx, nil, IID_Other)
			wantHR(t, err, E_NOINTERFACE)
			_, err = cf.CreateInstance(ctx, cf.Interface, IID_IEcho)
			wantHR(t, err, CLASS_E_NOAGGREGATION)
			if f.echo.created.Load() != 0 {
				t.Fatalf("refused CreateInstance created %d instances", f.echo.created.Load())
			}
			obj, err := cf.CreateInstance(ctx, nil, IID_IEcho)
			if err != nil {
				t.Fatalf("CreateInstance(IEcho): %v", err)
			}
			disp, err := cf.CreateInstance(ctx, nil, IID_IDispatch)
			if err != nil {
				t.Fatalf("CreateInstance(IDispatch): %v", err)
			}
			if obj.OID() == disp.OID() || obj.OID() == cf.OID() {
				t.Fatalf("instances share OIDs: %#x %#x %#x", obj.OID(), disp.OID(), cf.OID())
			}
			if f.echo.created.Load() != 2 || f.srv.tab.count() != 3 {
				t.Fatalf("created %d, objects %d; want 2 and 3", f.echo.created.Load(), f.srv.tab.count())
			}
			if err := cf.Close(); err != nil {
				t.Fatalf("releasing the class object: %v", err)
			}
			if f.srv.tab.count() != 2 {
				t.Fatalf("%d objects after releasing the class object, want 2", f.srv.tab.count())
			}
			if y, err := echo(ctx, obj, 41); err != nil || y != 42 {
				t.Fatalf("Echo after the class object's release = %d, %v", y, err)
			}
			var n uint32
			err = disp.Call(ctx, 3, nil, func(r *ndr.Reader) error { n = r.Uint32(); return hrErr(r) })
			if err != nil || n != 0 {
				t.Fatalf("IDispatch::GetTypeInfoCount = %d, %v", n, err)
			}
			if err := errors.Join(obj.Close(), disp.Close()); err != nil {
				t.Fatal(err)
			}
			if f.srv.tab.count() != 0 || f.echo.closed.Load() != 2 {
				t.Fatalf("after release: %d objects, %d closed", f.srv.tab.count(), f.echo.closed.Load())
			}
		})
	}
}

func hrErr(r *ndr.Reader) error {
	hr := HRESULT(r.Uint32())
	if err := r.Err(); err != nil {
		return err
	}
	if hr.Failed() {
		return hr
	}
	return nil
}

// TestActivateClassObjectOption: Activate with ClassObject takes the same
// road and leaves only the instance behind.
func TestActivateClassObjectOption(t *testing.T) {
	f := startServer(t, nil)
	ctx := testCtx(t)
	cfg := f.clientConfig(testUser, true)
	cfg.ClassObject = true
	itf, err := Activate(ctx, cfg, CLSID_Echo, IID_IEcho)
	if err != nil {
		t.Fatal(err)
	}
	if y, err := echo(ctx, itf, 1); err != nil || y != 2 {
		t.Fatalf("Echo = %d, %v", y, err)
	}
	if f.srv.tab.count() != 1 || f.echo.created.Load() != 1 {
		t.Fatalf("%d objects, %d created; want the instance only", f.srv.tab.count(), f.echo.created.Load())
	}
	if err := itf.Close(); err != nil {
		t.Fatal(err)
	}
	if f.srv.tab.count() != 0 {
		t.Fatalf("%d objects left", f.srv.tab.count())
	}
	// Refusals keep their HRESULTs on this road too.
	_, err = Activate(ctx, cfg, ndr.MustGUID("6b1c2a6f-1111-4d2e-9a55-0123456789ab"), IID_IEcho)
	wantHR(t, err, REGDB_E_CLASSNOTREG)
	plain := f.clientConfig(plainUser, false)
	plain.ClassObject = true
	_, err = Activate(ctx, plain, CLSID_Echo, IID_IEcho)
	wantHR(t, err, E_ACCESSDENIED)
	if f.echo.created.Load() != 1 || f.srv.tab.count() != 0 {
		t.Fatalf("refusals created objects: %d created, %d live", f.echo.created.Load(), f.srv.tab.count())
	}
}

// TestClassObjectGarbageCollected: a class object nobody pings nor
// calls is collected after PingTimeoutPeriods periods like any object.
func TestClassObjectGarbageCollected(t *testing.T) {
	const period = time.Second
	f := startServer(t, func(c *ServerConfig) { c.PingPeriod, c.SweepInterval = period, time.Hour })
	ctx := testCtx(t)
	cf, err := GetClassObject(ctx, f.clientConfig(testUser, false), CLSID_Echo)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.s.conn.Close()
	f.clock.advance(PingTimeoutPeriods * period)
	if n := f.srv.collect(); n != 1 || f.srv.tab.count() != 0 {
		t.Fatalf("collected %d, %d left; want the class object collected", n, f.srv.tab.count())
	}
	_, err = cf.CreateInstance(ctx, nil, IID_IEcho)
	wantFault(t, err, uint32(RPC_E_DISCONNECTED))
	if f.echo.created.Load() != 0 {
		t.Fatal("a collected class object created an instance")
	}

}
