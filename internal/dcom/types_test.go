package dcom

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/iisctl/iisctl/ndr"
)

func sampleDSA() DualStringArray {
	return DualStringArray{
		StringBindings:   []StringBinding{{TowerNCACNIPTCP, "HOST[49718]"}, {TowerNCACNIPTCP, "10.0.0.1[49718]"}},
		SecurityBindings: []SecurityBinding{{AuthnWinNT, ""}, {AuthnGSSNego, ""}},
	}
}

func sampleActivationOut() *ActivationOut {
	d := sampleDSA()
	std := StdObjRef{CPublicRefs: 5, OXID: 0x1122, OID: 0x3344, IPID: IID_IContext}
	ptr := NewMInterfacePointer(NewStandardObjRef(IID_IIisServiceControl, std, DualStringArray{
		StringBindings: []StringBinding{{TowerNCACNIPTCP, "HOST"}}, SecurityBindings: d.SecurityBindings}))
	return NewActivationOut(RemoteReplySCMInfo{OXID: 0x1122, OxidBindings: &d, IPIDRemUnknown: IID_IRemUnknown, AuthnHint: 6, ServerVersion: COMVersion{5, 7}},
		[]ActivatedInterface{{IID_IIisServiceControl, S_OK, ptr}, {IID_IDispatch, E_NOINTERFACE, nil}})
}

func TestORPCSizes(t *testing.T) {
	w := ndr.NewWriter(ndr.NDR20)
	w.Marshal(&ORPCThis{Version: COMVersion{5, 7}})
	if w.Len() != 32 {
		t.Errorf("ORPCTHIS is %d bytes", w.Len())
	}
	w = ndr.NewWriter(ndr.NDR20)
	w.Marshal(&ORPCThat{})
	if w.Len() != 8 {
		t.Errorf("ORPCTHAT is %d bytes", w.Len())
	}
}

func TestORPCExtensionsRoundTrip(t *testing.T) {
	ext := &ORPCExtentArray{Size: 1, Extents: []*ORPCExtent{{ID: IID_IUnknown, Data: []byte{1, 2, 3}}, nil}}
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		in := &ORPCThis{Version: COMVersion{5, 7}, CID: IID_IContext, Extensions: ext}
		w := ndr.NewWriter(syn)
		w.Marshal(in)
		var out ORPCThis
		r := ndr.NewReader(w.Bytes(), syn)
		r.Unmarshal(&out)
		if r.Err() != nil || !reflect.DeepEqual(in, &out) || r.Remaining() != 0 {
			t.Fatalf("%v: %v %+v", syn, r.Err(), out)
		}
	}
}

func TestDSAForms(t *testing.T) {
	d := sampleDSA()
	p := newPacked(d.AppendPacked(nil))
	var got DualStringArray
	if got.readPacked(p); p.err() != nil || !reflect.DeepEqual(got, d) {
		t.Fatalf("packed: %v %+v", p.err(), got)
	}
	empty := DualStringArray{}
	if b := empty.AppendPacked(nil); !bytes.Equal(b, []byte{4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("empty DSA % x", b)
	}
	for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
		w := ndr.NewWriter(syn)
		w.Marshal(&d)
		var out DualStringArray
		r := ndr.NewReader(w.Bytes(), syn)
		if r.Unmarshal(&out); r.Err() != nil || !reflect.DeepEqual(out, d) {
			t.Fatalf("%v: %v", syn, r.Err())
		}
	}
}

func TestActivationBuilders(t *testing.T) {
	a := BuildActivationIn(CLSID_IIisServiceControl, []ndr.GUID{IID_IIisServiceControl}, ActivationInOptions{})
	m, err := a.MInterfacePointer()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseActivationIn(m)
	if err != nil {
		t.Fatal(err)
	}
	if got.Instantiation.ClassID != CLSID_IIisServiceControl || got.Context.ClientCtx != nil || got.Protseqs()[0] != 7 {
		t.Fatalf("%+v", got)
	}
	o := sampleActivationOut()
	mo, err := o.MInterfacePointer()
	if err != nil {
		t.Fatal(err)
	}
	po, err := ParseActivationOut(mo)
	if err != nil {
		t.Fatal(err)
	}
	if po.Order[0] != CLSID_PropsOutInfo || len(po.Interfaces()) != 2 || po.ScmReply.RemoteReply.AuthnHint != 6 {
		t.Fatalf("%+v", po)
	}
}

// Malformed inputs found by review or fuzzing: each must fail cleanly.
func TestMalformed(t *testing.T) {
	good, _ := sampleActivationOut().Blob()
	cases := []struct {
		name string
		f    func() error
	}{
		{"short OBJREF", func() error { _, err := ParseObjRef([]byte{0x4d, 0x45}); return err }},
		{"bad signature", func() error { _, err := ParseObjRef(make([]byte, 64)); return err }},
		{"DSA offset past end", func() error {
			_, err := parseDSAWords([]uint16{7, 'a', 0, 0}, 9)
			return err
		}},
		{"unterminated binding", func() error { _, err := parseDSAWords([]uint16{7, 'a', 'b', 0, 0}, 3); return err }},
		{"truncated blob", func() error { _, err := ParseActivationOutBlob(good[:len(good)-9]); return err }},
		{"dwSize too big", func() error {
			b := append([]byte{}, good...)
			b[1] = 0xff
			_, err := ParseActivationOutBlob(b)
			return err
		}},
	}
	for _, c := range cases {
		if err := c.f(); err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if c.name == "short OBJREF" && !errors.Is(err, ndr.ErrMalformed) {
			t.Errorf("%s: %v does not wrap ErrMalformed", c.name, err)
		}
	}
}
