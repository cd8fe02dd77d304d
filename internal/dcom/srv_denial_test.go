package dcom

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

func wantHR(t *testing.T, err error, hr HRESULT) {
	t.Helper()
	var ae *ActivationError
	if !errors.As(err, &ae) || ae.HR != hr || !errors.Is(err, hr) {
		t.Fatalf("got %v, want %s", err, HRESULTName(hr))
	}
	if !strings.Contains(err.Error(), strings.Fields(HRESULTName(hr))[0]) {
		t.Fatalf("error %q does not name the HRESULT", err)
	}
}

func wantFault(t *testing.T, err error, status uint32) {
	t.Helper()
	var f *rpc.FaultError
	if !errors.As(err, &f) || f.Status != status {
		t.Fatalf("got %v, want fault 0x%08X", err, status)
	}
}

func TestActivationDenials(t *testing.T) {
	f := startServer(t, nil)
	for _, legacy := range []bool{false, true} {
		ctx := testCtx(t)
		admin := f.clientConfig(testUser, false)
		admin.RemoteActivation = legacy
		bob := f.clientConfig(plainUser, false)
		bob.RemoteActivation = legacy
		_, err := Activate(ctx, bob, CLSID_Echo, IID_IEcho)
		wantHR(t, err, E_ACCESSDENIED)
		_, err = Activate(ctx, bob, IID_Other, IID_IEcho) // unknown class, non-admin: no leak
		wantHR(t, err, E_ACCESSDENIED)
		_, err = Activate(ctx, admin, IID_Other, IID_IEcho)
		wantHR(t, err, REGDB_E_CLASSNOTREG)
		_, err = Activate(ctx, admin, CLSID_Echo, IID_Other)
		wantHR(t, err, E_NOINTERFACE)
		// Below PKT_INTEGRITY: Activate refuses locally; the server denies too.
		low := admin
		low.Level = rpc.AuthLevelConnect
		if _, err := Activate(ctx, low, CLSID_Echo, IID_IEcho); err == nil {
			t.Fatal("Activate accepted a level below integrity")
		}
		low, _ = admin.withDefaults()
		low.Level = rpc.AuthLevelConnect
		if legacy {
			_, err = remoteActivation(ctx, low, CLSID_Echo, IID_IEcho, false)
		} else {
			_, err = scmActivate(ctx, low, CLSID_Echo, IID_IEcho, false)
		}
		wantHR(t, err, E_ACCESSDENIED)
	}
	if n := f.echo.created.Load(); n != 0 || f.srv.tab.count() != 0 {
		t.Fatalf("denied activations created %d objects (%d exported)", n, f.srv.tab.count())
	}
	logs := f.logs.String()
	for _, want := range []string{"activation denied", `caller=IISCTLTEST\bob`, "class not registered", "no requested interface", "below packet integrity"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// rawORPC sends an ORPC request with a hand-made ORPCTHIS on itf's
// connection, bound to iid.
func rawORPC(ctx context.Context, t *testing.T, itf *Interface, iid ndr.GUID, opnum uint16, ipid ndr.GUID, this ORPCThis, args func(*ndr.Writer)) error {
	t.Helper()
	pc, err := itf.s.context(ctx, iid)
	if err != nil {
		t.Fatal(err)
	}
	w := ndr.NewWriter(pc.Syntax)
	w.Marshal(&this)
	if args != nil {
		args(w)
	}
	_, err = itf.s.conn.Call(ctx, pc, opnum, &ipid, w.Bytes())
	return err
}

func TestORPCFaults(t *testing.T) {
	f := startServer(t, nil)
	ctx := testCtx(t)
	itf, err := Activate(ctx, f.clientConfig(testUser, false), CLSID_Echo, IID_IEcho)
	if err != nil {
		t.Fatal(err)
	}
	defer itf.Close()
	arg := func(w *ndr.Writer) { w.Uint32(1) }
	good := newORPCThis()
	wantFault(t, rawORPC(ctx, t, itf, IID_IEcho, 3, ndr.MustGUID("01234567-89ab-cdef-0123-456789abcdef"), good, arg), uint32(RPC_E_DISCONNECTED))
	bad := good
	bad.Version.Minor = COMVersionMinor + 1
	wantFault(t, rawORPC(ctx, t, itf, IID_IEcho, 3, itf.IPID(), bad, arg), uint32(RPC_E_VERSION_MISMATCH))
	bad = good
	bad.Version.Major = 4
	wantFault(t, rawORPC(ctx, t, itf, IID_IEcho, 3, itf.IPID(), bad, arg), uint32(RPC_E_VERSION_MISMATCH))
	bad = good
	bad.Flags = ORPCFLocal
	wantFault(t, rawORPC(ctx, t, itf, IID_IEcho, 3, itf.IPID(), bad, arg), uint32(RPC_E_INVALID_HEADER))
	// IDispatch methods reach a dual interface's IPID; others do not.
	if err := rawORPC(ctx, t, itf, IID_IDispatch, 3, itf.IPID(), good, nil); err != nil {
		t.Fatalf("GetTypeInfoCount on the IEcho IPID via IDispatch: %v", err)
	}
	wantFault(t, rawORPC(ctx, t, itf, IID_IDispatch, 7, itf.IPID(), good, nil), rpc.StatusUnknownInterface)
	// IRemUnknown only on ipidRemUnknown.
	wantFault(t, rawORPC(ctx, t, itf, IID_IRemUnknown, 5, itf.IPID(), good, nil), uint32(RPC_E_DISCONNECTED))
	// Still usable afterwards.
	if y, err := echo(ctx, itf, 7); err != nil || y != 8 {
		t.Fatalf("Echo after faults: %d %v", y, err)
	}
}

// TestORPCNonAdminDenied: a non-administrator who learns an IPID gets
// fault 5 on the object and 0x80070005 on IRemUnknown.
func TestORPCNonAdminDenied(t *testing.T) {
	f := startServer(t, nil)
	ctx := testCtx(t)
	itf, err := Activate(ctx, f.clientConfig(testUser, false), CLSID_Echo, IID_IEcho)
	if err != nil {
		t.Fatal(err)
	}
	defer itf.Close()
	bobCfg, _ := f.clientConfig(plainUser, false).withDefaults()
	conn, err := rpc.Dial(ctx, f.obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	bob := newSession(bobCfg, conn, &activation{oxid: itf.OXID(), remUnk: itf.s.remUnk, authnHint: 6})
	bobItf := &Interface{s: bob, iid: IID_IEcho, std: itf.std}
	bob.nOpen = 1
	defer conn.Close()
	bobItf.pc, err = bob.context(ctx, IID_IEcho)
	if err != nil {
		t.Fatal(err)
	}
	_, err = echo(ctx, bobItf, 1)
	wantFault(t, err, rpc.StatusAccessDenied)
	err = bob.remRelease(ctx, itf.IPID(), 1)
	wantFault(t, err, uint32(E_ACCESSDENIED))
	if f.srv.tab.count() != 1 {
		t.Fatal("a denied RemRelease released the object")
	}
	if y, err := echo(ctx, itf, 1); err != nil || y != 2 {
		t.Fatalf("admin Echo: %d %v", y, err)
	}
}

func TestQueryInterface(t *testing.T) {
	f := startServer(t, nil)
	ctx := testCtx(t)
	itf, err := Activate(ctx, f.clientConfig(testUser, true), CLSID_Echo, IID_IEcho)
	if err != nil {
		t.Fatal(err)
	}
	unk, err := itf.QueryInterface(ctx, IID_IUnknown)
	if err != nil {
		t.Fatalf("QI IUnknown: %v", err)
	}
	if unk.OID() != itf.OID() || unk.IPID() == itf.IPID() {
		t.Fatalf("QI result: oid %x/%x ipid %v/%v", unk.OID(), itf.OID(), unk.IPID(), itf.IPID())
	}
	_, err = itf.QueryInterface(ctx, IID_Other)
	wantHR(t, err, E_NOINTERFACE)
	again, err := unk.QueryInterface(ctx, IID_IEcho)
	if err != nil || again.IPID() != itf.IPID() {
		t.Fatalf("QI back to IEcho: %v (ipid %v, want %v)", err, again.IPID(), itf.IPID())
	}
	if y, err := echo(ctx, again, 1); err != nil || y != 2 {
		t.Fatalf("Echo on QI result: %d %v", y, err)
	}
	for i, x := range []*Interface{itf, unk} {
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if f.srv.tab.count() != 1 {
			t.Fatalf("object gone after %d of 3 releases", i+1)
		}
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	if f.srv.tab.count() != 0 || f.echo.closed.Load() != 1 {
		t.Fatalf("after all releases: %d objects, %d closes", f.srv.tab.count(), f.echo.closed.Load())
	}
}
