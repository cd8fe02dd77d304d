package iiss_test

import (
	"testing"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/iiss/iisstest"
	"github.com/iisctl/iisctl/ndr"
)

// FuzzStatusBlob: decoding never panics; what decodes re-encodes (in
// WCHAR units) to a blob that decodes to the same list.
func FuzzStatusBlob(f *testing.F) {
	for _, b := range [][]byte{iiss.EncodeStatusBlob(exampleServices), iiss.EncodeStatusBlobUnit(exampleServices, iiss.OffsetBytes)} {
		f.Add(b, uint32(2))
		f.Add(b, uint32(1))
	}
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, n uint32) {
		list, _, err := iiss.DecodeStatusBlob(b, n)
		if err != nil {
			return
		}
		again, _, err := iiss.DecodeStatusBlob(iiss.EncodeStatusBlob(list), uint32(len(list)))
		if err != nil || len(again) != len(list) {
			t.Fatalf("re-encoded blob: %v", err)
		}
		for i := range list {
			if again[i] != list[i] {
				t.Fatalf("entry %d: %+v became %+v", i, list[i], again[i])
			}
		}
	})
}

// FuzzDispParams decodes arbitrary bytes as Invoke's parameters (the
// DISPPARAMS and VARIANT decoding) in both syntaxes: no panic, and a
// decoded request re-encodes to bytes that decode again.
func FuzzDispParams(f *testing.F) {
	for _, h := range []string{winInvokeReq, winInvokeNoArgs} {
		f.Add(unhex(f, h), false)
	}
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		w := ndr.NewWriter(syn)
		req := iiss.MethodCall(iiss.DispIDStop, iiss.VI2(3), iiss.VBool(true), iiss.VBSTR("x"),
			iiss.Variant{VT: iiss.VT_VARIANT | iiss.VT_BYREF, Ref: &iiss.Variant{VT: iiss.VT_I4, Int: 5}})
		req.VarRefIdx, req.VarRef = []uint32{0}, []iiss.Variant{{VT: iiss.VT_I4 | iiss.VT_BYREF, Int: 1}}
		req.Params.NamedArgs = []int32{1}
		w.Marshal(req)
		f.Add(w.Bytes(), syn == ndr.NDR64)
	}
	f.Fuzz(func(t *testing.T, b []byte, is64 bool) {
		syn := ndr.NDR20
		if is64 {
			syn = ndr.NDR64
		}
		var req iiss.InvokeRequest
		r := ndr.NewReader(b, syn)
		r.Unmarshal(&req)
		if r.Err() != nil {
			return
		}
		w := ndr.NewWriter(syn)
		w.Marshal(&req)
		if w.Err() != nil {
			t.Fatalf("decoded request does not encode: %v", w.Err())
		}
		var again iiss.InvokeRequest
		r2 := ndr.NewReader(w.Bytes(), syn)
		r2.Unmarshal(&again)
		if r2.Err() != nil {
			t.Fatalf("re-encoded request does not decode: %v", r2.Err())
		}
	})
}

// FuzzServerRequests feeds arbitrary stubs to every opnum 3-11 of the
// dispatcher (over the Fake): no panic, and every call either answers or
// returns an error.
func FuzzServerRequests(f *testing.F) {
	f.Add(uint16(5), unhex(f, winGetIDsReq), false)
	f.Add(uint16(6), unhex(f, winInvokeReq), false)
	f.Add(uint16(7), unhex(f, "10270000 01000000"), false)
	f.Add(uint16(10), unhex(f, "00001000"), true)
	f.Add(uint16(4), unhex(f, "00000000 09040000"), false)
	f.Fuzz(func(t *testing.T, op uint16, b []byte, is64 bool) {
		syn := ndr.NDR20
		if is64 {
			syn = ndr.NDR64
		}
		srv := iiss.NewObject(iisstest.NewFake(standardSpecs(), true), iiss.ObjectOptions{MaxStatusBuffer: 1 << 16})
		_, _ = invoke(t, srv, syn, iiss.IID_IIisServiceControl, 3+op%9, b)
	})
}
