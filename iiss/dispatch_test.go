package iiss_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/iiss/iisstest"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/svc"
)

// Stubs from ../shared/captures, after ORPCTHIS / ORPCTHAT (real Windows
// 10 client and server; see the README there).
const (
	// dcom_excel-registerxll…pcap frame 48: GetIDsOfNames("RegisterXLL").
	winGetIDsReq = `00000000000000000000000000000000 01000000 00000200
	                0c000000 00000000 0c000000 520065006700690073007400650072005800 4c004c000000 01000000 09040000`
	// frame 49: DISPID 0x1e, S_OK.
	winGetIDsResp = `01000000 1e000000 00000000`
	// frame 50: Invoke(0x1e, METHOD, [BSTR "C:\\programdata\calc.xll"]).
	// Bytes 52-55 are an alignment gap Windows left uninitialised ("X\0L\0").
	winInvokeReq = `1e000000 00000000000000000000000000000000 09040000 01000000
	                00000200 00000000 01000000 00000000 01000000 55737265 58004c00
	                0b000000 00000000 0800 0000 0000 0000 08000000 e9c8ad00
	                18000000 30000000 18000000
	                43003a005c005c00700072006f006700720061006d0064006100740061005c00630061006c0063002e0078006c006c00
	                00000000 00000000 00000000`
	// dcom_shellwindows…pcap frame 57: Invoke(0, METHOD|PROPERTYGET), no arguments.
	winInvokeNoArgs = `00000000 00000000000000000000000000000000 00000000 03000000
	                   00000000 00000000 00000000 00000000 00000000 00000000 00000000`
	// frame 44: GetTypeInfoCount -> 1, S_OK.
	winTypeInfoCount = `01000000 00000000`
)

func TestWindowsIDispatchGoldens(t *testing.T) {
	var gr iiss.GetIDsOfNamesRequest
	b := unhex(t, winGetIDsReq)
	if r := ndr.NewReader(b, ndr.NDR20); !decodeAll(r, &gr) || len(gr.Names) != 1 || gr.Names[0] != "RegisterXLL" || gr.LCID != 0x409 {
		t.Fatalf("GetIDsOfNames request: %+v %v", gr, r.Err())
	}
	reencode(t, "GetIDsOfNames request", &gr, b)

	var gp iiss.GetIDsOfNamesResponse
	b = unhex(t, winGetIDsResp)
	if r := ndr.NewReader(b, ndr.NDR20); !decodeAll(r, &gp) || len(gp.DispIDs) != 1 || gp.DispIDs[0] != 0x1e || gp.Result != 0 {
		t.Fatalf("GetIDsOfNames response: %+v", gp)
	}
	reencode(t, "GetIDsOfNames response", &gp, b)

	var ir iiss.InvokeRequest
	b = unhex(t, winInvokeReq)
	r := ndr.NewReader(b, ndr.NDR20)
	if !decodeAll(r, &ir) || ir.DispID != 0x1e || ir.Flags != 1 || len(ir.Params.Args) != 1 ||
		ir.Params.Args[0].VT != iiss.VT_BSTR || ir.Params.Args[0].Str != `C:\\programdata\calc.xll` || len(ir.VarRef) != 0 {
		t.Fatalf("Invoke request: %+v %v", ir, r.Err())
	}
	copy(b[52:56], []byte{0, 0, 0, 0}) // the gap we write as zeros
	// Referents: Windows wrote "Usre" for the array element and a raw
	// address for the BSTR; we write "User" for both. Only non-zero matters.
	copy(b[48:52], []byte{0x55, 0x73, 0x65, 0x72})
	copy(b[76:80], []byte{0x55, 0x73, 0x65, 0x72})
	reencode(t, "Invoke request", &ir, b)

	var in iiss.InvokeRequest
	b = unhex(t, winInvokeNoArgs)
	if r := ndr.NewReader(b, ndr.NDR20); !decodeAll(r, &in) || in.Flags != 3 || len(in.Params.Args) != 0 {
		t.Fatalf("Invoke without arguments: %+v", in)
	}
	reencode(t, "Invoke without arguments", &in, b)

	var tc iiss.GetTypeInfoCountResponse
	if r := ndr.NewReader(unhex(t, winTypeInfoCount), ndr.NDR20); !decodeAll(r, &tc) || tc.Count != 1 {
		t.Fatalf("GetTypeInfoCount: %+v", tc)
	}
}

func decodeAll(r *ndr.Reader, u ndr.Unmarshaler) bool {
	r.Unmarshal(u)
	return r.Err() == nil && r.Remaining() == 0
}

func reencode(t *testing.T, what string, m ndr.Marshaler, want []byte) {
	t.Helper()
	w := ndr.NewWriter(ndr.NDR20)
	w.Marshal(m)
	if !bytes.Equal(w.Bytes(), want) {
		t.Errorf("%s re-encoded\n got %x\nwant %x", what, w.Bytes(), want)
	}
}

// Our Invoke answer, shaped as Windows' (dcom_shellwindows…pcap frame
// 58): VT_EMPTY result, EXCEPINFO with three NULL BSTR blobs.
const invokeRespGolden = `55736572 00000000
	03000000 00000000 0000 0000 0000 0000 00000000
	00000000 55736572 55736572 55736572 00000000 00000000 00000000 00000000
	00000000 ffffffff 00000000  00000000 ffffffff 00000000  00000000 ffffffff 00000000
	00000000 00000000 00000000`

func dispCall(t *testing.T, srv *iiss.Object, syn ndr.Syntax, req *iiss.InvokeRequest) iiss.InvokeResponse {
	t.Helper()
	w := ndr.NewWriter(syn)
	iiss.EncodeInvokeRequest(w, req)
	if w.Err() != nil {
		t.Fatal(w.Err())
	}
	out, err := invoke(t, srv, syn, iiss.IID_IDispatch, iiss.OpInvoke, w.Bytes())
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	resp, err := iiss.DecodeInvokeResponse(ndr.NewReader(out, syn))
	if err != nil {
		t.Fatalf("decoding the response: %v", err)
	}
	if syn == ndr.NDR20 && req.DispID == iiss.DispIDKill && len(req.VarRef) == 0 && resp.HR == 0 && !bytes.Equal(out, unhex(t, invokeRespGolden)) {
		t.Errorf("Kill response\n got %x\nwant %x", out, unhex(t, invokeRespGolden))
	}
	return resp
}

func TestInvoke(t *testing.T) {
	byref := func(v iiss.Variant) iiss.Variant { v.VT |= iiss.VT_BYREF; return v }
	varRef := func(v iiss.Variant) iiss.Variant { return iiss.Variant{VT: iiss.VT_VARIANT | iiss.VT_BYREF, Ref: &v} }
	named := iiss.MethodCall(iiss.DispIDStop, iiss.VI4(100)) // dwTimeoutMsecs positional
	named.Params.Args = append([]iiss.Variant{iiss.VBool(true)}, named.Params.Args...)
	named.Params.NamedArgs = []int32{1} // dwForce
	badNamed := iiss.MethodCall(iiss.DispIDStop, iiss.VI4(100), iiss.VI4(1))
	badNamed.Params.NamedArgs = []int32{7}
	refs := iiss.MethodCall(iiss.DispIDStop, iiss.Variant{}, iiss.Variant{})
	refs.VarRefIdx = []uint32{0, 1}
	refs.VarRef = []iiss.Variant{byref(iiss.VBool(true)), varRef(iiss.VI2(100))}
	flags := func(req *iiss.InvokeRequest, f uint32) *iiss.InvokeRequest { req.Flags = f; return req }
	riid := iiss.MethodCall(iiss.DispIDKill)
	riid.RIID = iiss.IID_IDispatch
	cases := []struct {
		name    string
		req     *iiss.InvokeRequest
		hr      iiss.HRESULT
		argErr  uint32
		stopped bool
	}{
		{"Stop I4+BOOL", iiss.MethodCall(iiss.DispIDStop, iiss.VI4(100), iiss.VBool(true)), iiss.S_OK, 0, true},
		{"Stop I2+I2", iiss.MethodCall(iiss.DispIDStop, iiss.VI2(100), iiss.VI2(1)), iiss.S_OK, 0, true},
		{"Stop UI4+UI1", iiss.MethodCall(iiss.DispIDStop, iiss.VUI4(100), iiss.Variant{VT: iiss.VT_UI1, Int: 0}), iiss.S_OK, 0, true},
		{"Stop BYREF", refs, iiss.S_OK, 0, true},
		{"Stop named dwForce", named, iiss.S_OK, 0, true},
		{"Kill METHOD|PROPERTYGET", flags(iiss.MethodCall(iiss.DispIDKill), 3), iiss.S_OK, 0, true},
		{"Kill", iiss.MethodCall(iiss.DispIDKill), iiss.S_OK, 0, true},
		{"Stop BSTR timeout", iiss.MethodCall(iiss.DispIDStop, iiss.VBSTR("100"), iiss.VBool(true)), iiss.DISP_E_TYPEMISMATCH, 1, false},
		{"Stop negative", iiss.MethodCall(iiss.DispIDStop, iiss.VI4(-1), iiss.VBool(true)), iiss.DISP_E_OVERFLOW, 1, false},
		{"Stop NULL force", iiss.MethodCall(iiss.DispIDStop, iiss.VI4(1), iiss.Variant{VT: iiss.VT_NULL}), iiss.DISP_E_TYPEMISMATCH, 0, false},
		{"Stop one arg", iiss.MethodCall(iiss.DispIDStop, iiss.VI4(1)), iiss.DISP_E_BADPARAMCOUNT, 0, false},
		{"Kill one arg", iiss.MethodCall(iiss.DispIDKill, iiss.VI4(1)), iiss.DISP_E_BADPARAMCOUNT, 0, false},
		{"PROPERTYGET", flags(iiss.MethodCall(iiss.DispIDKill), 2), iiss.DISP_E_MEMBERNOTFOUND, 0, false},
		{"PROPERTYPUT", flags(iiss.MethodCall(iiss.DispIDKill), 5), iiss.DISP_E_MEMBERNOTFOUND, 0, false},
		{"unknown DISPID", iiss.MethodCall(0x1e), iiss.DISP_E_MEMBERNOTFOUND, 0, false},
		{"riid not NULL", riid, iiss.DISP_E_UNKNOWNINTERFACE, 0, false},
		{"bad named DISPID", badNamed, iiss.DISP_E_PARAMNOTFOUND, 0, false},
		{"Status", iiss.MethodCall(iiss.DispIDStatus, iiss.VI4(100), iiss.VI4(0), iiss.VI4(0), iiss.VI4(0)), iiss.DISP_E_TYPEMISMATCH, 2, false},
		{"Reboot not implemented", iiss.MethodCall(iiss.DispIDReboot, iiss.VI4(0), iiss.VBool(false)), iiss.E_NOTIMPL, 0, false},
	}
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		for _, c := range cases {
			t.Run(syn.String()+"/"+c.name, func(t *testing.T) {
				f := iisstest.NewFake(standardSpecs(), false)
				if err := f.Start(context.Background(), time.Second); err != nil {
					t.Fatal(err)
				}
				resp := dispCall(t, iiss.NewObject(f, iiss.ObjectOptions{}), syn, c.req)
				if resp.HR != c.hr || resp.ArgErr != c.argErr || resp.Result.VT != iiss.VT_EMPTY || resp.ExcepInfo != (iiss.ExcepInfo{}) {
					t.Fatalf("got %v argErr %d result %+v excep %+v, want %v argErr %d", resp.HR, resp.ArgErr, resp.Result, resp.ExcepInfo, c.hr, c.argErr)
				}
				if len(resp.VarRef) != len(c.req.VarRef) {
					t.Fatalf("rgVarRef not echoed: %+v", resp.VarRef)
				}
				for i := range resp.VarRef {
					if got, want := resp.VarRef[i], c.req.VarRef[i]; got.VT != want.VT || got.Int != want.Int {
						t.Errorf("rgVarRef[%d] = %+v, want %+v", i, got, want)
					}
				}
				list, _ := f.Status(context.Background())
				if stopped := list[0].State == svc.Stopped; stopped != c.stopped {
					t.Errorf("web stopped = %v, want %v", stopped, c.stopped)
				}
			})
		}
	}
}

func TestInvokeDisabled(t *testing.T) {
	f := iisstest.NewFake(standardSpecs(), false)
	f.SetDisabled(true)
	resp := dispCall(t, iiss.NewObject(f, iiss.ObjectOptions{}), ndr.NDR20, iiss.MethodCall(iiss.DispIDKill))
	if resp.HR != iiss.ERROR_RESOURCE_DISABLED {
		t.Fatalf("got %v", resp.HR)
	}
}

func TestInvokeUnsupportedVarType(t *testing.T) {
	req := iiss.MethodCall(iiss.DispIDKill, iiss.VI4(1))
	w := ndr.NewWriter(ndr.NDR20)
	iiss.EncodeInvokeRequest(w, req)
	b := w.Bytes()
	// The variant's vt and discriminant live at 56 and 64: make it VT_DISPATCH.
	b[56], b[64] = 9, 9
	srv := iiss.NewObject(iisstest.NewFake(nil, false), iiss.ObjectOptions{})
	if _, err := invoke(t, srv, ndr.NDR20, iiss.IID_IDispatch, iiss.OpInvoke, b); faultStatus(err) != 0x6F7 {
		t.Fatalf("VT_DISPATCH argument: %v, want fault 0x6F7", err)
	}
}

func TestGetIDsOfNames(t *testing.T) {
	srv := iiss.NewObject(iisstest.NewFake(nil, false), iiss.ObjectOptions{})
	cases := []struct {
		names []string
		riid  bool
		ids   []int32
		hr    iiss.HRESULT
	}{
		{[]string{"stop"}, false, []int32{0x60020000}, iiss.S_OK},
		{[]string{"START"}, false, []int32{0x60020001}, iiss.S_OK},
		{[]string{"Reboot", "dwTimeouMsecs", "DWFORCEAPPSCLOSED"}, false, []int32{0x60020002, 0, 1}, iiss.S_OK},
		{[]string{"Status"}, false, []int32{0x60020003}, iiss.S_OK},
		{[]string{"kill"}, false, []int32{0x60020004}, iiss.S_OK},
		{[]string{"Stop", "dwForce", "bogus"}, false, []int32{0x60020000, 1, -1}, iiss.DISP_E_UNKNOWNNAME},
		{[]string{"RegisterXLL"}, false, []int32{-1}, iiss.DISP_E_UNKNOWNNAME},
		{[]string{"Stop"}, true, []int32{-1}, iiss.DISP_E_UNKNOWNINTERFACE},
		{nil, false, []int32{}, iiss.S_OK},
	}
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		for _, c := range cases {
			w := ndr.NewWriter(syn)
			req := &iiss.GetIDsOfNamesRequest{Names: c.names, LCID: 0x409}
			if c.riid {
				req.RIID = iiss.IID_IDispatch
			}
			w.Marshal(req)
			out, err := invoke(t, srv, syn, iiss.IID_IIisServiceControl, iiss.OpGetIDsOfNames, w.Bytes())
			if err != nil {
				t.Fatalf("%v %v: %v", syn, c.names, err)
			}
			ids, hr, err := iiss.DecodeGetIDsOfNamesResponse(ndr.NewReader(out, syn), len(c.names))
			if err != nil || hr != c.hr || len(ids) != len(c.ids) {
				t.Fatalf("%v %v: %v %v %v", syn, c.names, ids, hr, err)
			}
			for i := range ids {
				if ids[i] != c.ids[i] {
					t.Errorf("%v %v: ids %v, want %v", syn, c.names, ids, c.ids)
				}
			}
		}
	}
	// cNames above range(0,16384) is a consistency failure.
	w := ndr.NewWriter(ndr.NDR20)
	w.Marshal(&iiss.GetIDsOfNamesRequest{})
	b := w.Bytes()
	b[20] = 0x01
	b[21] = 0x40 // cNames = 16385 (and conformance 0 disagrees too)
	if _, err := invoke(t, srv, ndr.NDR20, iiss.IID_IDispatch, iiss.OpGetIDsOfNames, b); faultStatus(err) != 0x6F7 {
		t.Fatalf("cNames 16385: %v", err)
	}
}

func TestTypeInfo(t *testing.T) {
	srv := iiss.NewObject(iisstest.NewFake(nil, false), iiss.ObjectOptions{})
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		out, err := invoke(t, srv, syn, iiss.IID_IDispatch, iiss.OpGetTypeInfoCount, nil)
		if err != nil || !bytes.Equal(out, make([]byte, 8)) {
			t.Fatalf("GetTypeInfoCount: % x %v", out, err)
		}
		w := ndr.NewWriter(syn)
		w.Marshal(&iiss.GetTypeInfoRequest{LCID: 0x409})
		out, err = invoke(t, srv, syn, iiss.IID_IDispatch, iiss.OpGetTypeInfo, w.Bytes())
		var p iiss.GetTypeInfoResponse
		if r := ndr.NewReader(out, syn); err != nil || !decodeAll(r, &p) || p.Result != iiss.DISP_E_BADINDEX {
			t.Fatalf("GetTypeInfo: % x %v", out, err)
		}
	}
}

func TestVariantRoundTrip(t *testing.T) {
	vs := []iiss.Variant{
		{}, {VT: iiss.VT_NULL}, iiss.VI2(-2), iiss.VI4(-70000), iiss.VUI4(0xFFFFFFFF), iiss.VBool(true),
		{VT: iiss.VT_UI1, Int: 200}, {VT: iiss.VT_I1, Int: -3}, {VT: iiss.VT_UI2, Int: 65535}, {VT: iiss.VT_INT, Int: 5},
		{VT: iiss.VT_UINT, Int: 6}, {VT: iiss.VT_I8, Int: -1 << 40}, {VT: iiss.VT_R8, Int: 0x400921FB54442D18},
		{VT: iiss.VT_ERROR, Int: 0x80020004}, iiss.VBSTR("héllo"), iiss.VBSTR(""), {VT: iiss.VT_BSTR, NullBSTR: true},
		{VT: iiss.VT_I4 | iiss.VT_BYREF, Int: 9}, {VT: iiss.VT_I2 | iiss.VT_BYREF, Int: -9},
		{VT: iiss.VT_BOOL | iiss.VT_BYREF, Int: -1}, {VT: iiss.VT_BSTR | iiss.VT_BYREF, Str: "x"},
		{VT: iiss.VT_VARIANT | iiss.VT_BYREF, Ref: &iiss.Variant{VT: iiss.VT_BSTR, Str: "in"}},
	}
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		req := iiss.MethodCall(1, vs...)
		w := ndr.NewWriter(syn)
		w.Marshal(req)
		var got iiss.InvokeRequest
		r := ndr.NewReader(w.Bytes(), syn)
		if !decodeAll(r, &got) {
			t.Fatalf("%v: %v", syn, r.Err())
		}
		for i, v := range req.Params.Args {
			g := got.Params.Args[i]
			if g.VT != v.VT || g.Int != v.Int || g.Str != v.Str || g.NullBSTR != v.NullBSTR || (v.Ref != nil && (g.Ref == nil || *g.Ref != *v.Ref)) {
				t.Errorf("%v: %+v came back as %+v", syn, v, g)
			}
		}
	}
}
