package dcom

import (
	"bytes"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ndr"
)

// goldenBlobs returns activation BLOBs and OBJREFs from the golden
// captures, when present, plus our own builders' output.
func goldenSeeds(f *testing.F) (in, out, objrefs [][]byte) {
	a := BuildActivationIn(CLSID_IIisServiceControl, []ndr.GUID{IID_IIisServiceControl}, ActivationInOptions{ContextID: IID_IContext})
	if b, err := a.Blob(); err == nil {
		in = append(in, b)
	}
	o := sampleActivationOut()
	if b, err := o.Blob(); err == nil {
		out = append(out, b)
	}
	objrefs = append(objrefs, o.PropsOut.IntfData[0].Data, NewClientContext(IID_IContext).ObjRef().Bytes())
	if capture.Lookup(capRCI) == "" {
		return
	}
	pdus := capture.Open(f, capRCI)
	var q RemoteCreateInstanceRequest
	var p ActivationResponse
	if ndr.NewReader(stub(f, pduAt(f, pdus, 10)), ndr.NDR20).Unmarshal(&q); q.ActProperties != nil {
		if ob, err := q.ActProperties.ObjRef(); err == nil {
			in, objrefs = append(in, ob.ObjectData), append(objrefs, q.ActProperties.Data)
		}
	}
	if ndr.NewReader(stub(f, pduAt(f, pdus, 11)), ndr.NDR20).Unmarshal(&p); p.ActProperties != nil {
		if ob, err := p.ActProperties.ObjRef(); err == nil {
			out, objrefs = append(out, ob.ObjectData), append(objrefs, p.ActProperties.Data)
		}
	}
	return in, out, objrefs
}

func FuzzObjRef(f *testing.F) {
	_, _, seeds := goldenSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseObjRef(b)
		if err != nil {
			return
		}
		o2, err := ParseObjRef(o.Bytes())
		if err != nil {
			t.Fatalf("re-encoded OBJREF does not parse: %v", err)
		}
		if !bytes.Equal(o2.Bytes(), o.Bytes()) {
			t.Fatal("OBJREF encoding not stable")
		}
	})
}

func FuzzDualStringArray(f *testing.F) {
	d := sampleDSA()
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		w := ndr.NewWriter(syn)
		w.Marshal(&d)
		f.Add(w.Bytes(), syn == ndr.NDR64)
	}
	f.Add(d.AppendPacked(nil), false)
	f.Fuzz(func(t *testing.T, b []byte, is64 bool) {
		syn := ndr.NDR20
		if is64 {
			syn = ndr.NDR64
		}
		var d DualStringArray
		r := ndr.NewReader(b, syn)
		r.Unmarshal(&d)
		if r.Err() == nil {
			w := ndr.NewWriter(syn)
			w.Marshal(&d)
			var d2 DualStringArray
			r2 := ndr.NewReader(w.Bytes(), syn)
			if r2.Unmarshal(&d2); r2.Err() != nil {
				t.Fatalf("re-encoded DUALSTRINGARRAY: %v", r2.Err())
			}
		}
		p := newPacked(b)
		var pd DualStringArray
		if pd.readPacked(p); p.Err() == nil {
			p2 := newPacked(pd.AppendPacked(nil))
			var pd2 DualStringArray
			if pd2.readPacked(p2); p2.Err() != nil {
				t.Fatalf("re-encoded packed DUALSTRINGARRAY: %v", p2.Err())
			}
		}
	})
}

func FuzzActivationIn(f *testing.F) {
	in, _, _ := goldenSeeds(f)
	for _, s := range in {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseActivationInBlob(b)
		if err != nil {
			return
		}
		enc, err := a.Blob()
		if err != nil {
			t.Fatalf("decoded ActivationIn does not encode: %v", err)
		}
		if _, err := ParseActivationInBlob(enc); err != nil {
			t.Fatalf("re-encoded ActivationIn does not parse: %v", err)
		}
	})
}

func FuzzActivationOut(f *testing.F) {
	_, out, _ := goldenSeeds(f)
	for _, s := range out {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseActivationOutBlob(b)
		if err != nil {
			return
		}
		enc, err := a.Blob()
		if err != nil {
			t.Fatalf("decoded ActivationOut does not encode: %v", err)
		}
		if _, err := ParseActivationOutBlob(enc); err != nil {
			t.Fatalf("re-encoded ActivationOut does not parse: %v", err)
		}
	})
}
