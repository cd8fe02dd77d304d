package dcom

import (
	"context"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ndr"
)

// FuzzServerClassObject feeds IClassFactory calls (CreateInstance,
// LockServer, out-of-range opnums) to an exported class object, seeded
// with Windows' CreateInstance stub from the Excel capture.
func FuzzServerClassObject(f *testing.F) {
	s, _ := fuzzServer(f)
	e := &echoClass{}
	c := e.class()
	export := func() ndr.GUID {
		s.tab.dropAll() // keep the table small
		_, ipids := s.tab.export(&classObject{s: s, class: c}, factoryClass(c), []ndr.GUID{IID_IClassFactory}, 1)
		return ipids[0]
	}
	this := marshal(f, &ORPCThis{Version: serverVersion})
	cat := func(a, b []byte) []byte { return append(append([]byte{}, a...), b...) }
	f.Add(uint8(3), cat(this, marshal(f, &createInstanceRequest{IID: IID_IEcho})))
	f.Add(uint8(3), cat(this, marshal(f, &createInstanceRequest{IID: IID_Other})))
	f.Add(uint8(4), cat(this, marshal(f, &lockServerRequest{Lock: true})))
	if capture.Lookup(capExcel) != "" {
		f.Add(uint8(3), stub(f, pduAt(f, capture.Open(f, capExcel), 32)))
	}
	f.Fuzz(func(t *testing.T, op uint8, stub []byte) {
		s.serveORPC(context.Background(), fuzzCall(IID_IClassFactory, uint16(op%6), export(), stub))
		if n := s.tab.count(); n > 2 {
			t.Fatalf("%d objects after one call", n) // the class object and at most one instance
		}
	})
}

// FuzzClassFactoryWire decodes CreateInstance responses (Windows' from
// the Excel capture and ours); what decodes re-encodes identically.
func FuzzClassFactoryWire(f *testing.F) {
	f.Add(marshal(f, &createInstanceResponse{HR: E_NOINTERFACE}))
	f.Add(marshal(f, &createInstanceResponse{Ptr: NewMInterfacePointer(NewClientContext(IID_IContext).ObjRef()), HR: S_OK}))
	if capture.Lookup(capExcel) != "" {
		b := stub(f, pduAt(f, capture.Open(f, capExcel), 33))
		f.Add(b[8:]) // after ORPCTHAT
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p createInstanceResponse
		r := ndr.NewReader(b, ndr.NDR20)
		r.Unmarshal(&p)
		if r.Err() != nil {
			return
		}
		w := ndr.NewWriter(ndr.NDR20)
		w.Marshal(&p)
		var q createInstanceResponse
		r2 := ndr.NewReader(w.Bytes(), ndr.NDR20)
		r2.Unmarshal(&q)
		if r2.Err() != nil || q.HR != p.HR || (q.Ptr == nil) != (p.Ptr == nil) {
			t.Fatalf("re-encoded response differs: %v %+v %+v", r2.Err(), p, q)
		}
	})
}
