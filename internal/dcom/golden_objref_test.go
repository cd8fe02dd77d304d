package dcom

import (
	"bytes"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ndr"
)

// execQueryResponse is the ExecQuery response of capture #11 (GPL-2.0,
// read from ../../shared/captures only): a unique MInterfacePointer* to
// an OBJREF_STANDARD, then the HRESULT.
type execQueryResponse struct {
	Enum *MInterfacePointer
	HR   HRESULT
}

func (e *execQueryResponse) MarshalNDR(w *ndr.Writer) {
	writeMIP(w, e.Enum)
	w.Flush()
	w.Uint32(uint32(e.HR))
}

func (e *execQueryResponse) UnmarshalNDR(r *ndr.Reader) {
	readMIP(r, &e.Enum)
	r.Flush()
	e.HR = HRESULT(r.Uint32())
}

func TestGoldenObjRefExecQuery(t *testing.T) {
	b := capture.OpenHex(t, hexObjRef)["execquery_response_stub"]
	if b == nil {
		t.Fatal("execquery_response_stub missing")
	}
	var e execQueryResponse
	roundTrip(t, b, &e)
	o, err := e.Enum.ObjRef()
	if err != nil {
		t.Fatal(err)
	}
	if o.Flags != ObjRefStandard || o.IID != ndr.MustGUID("027947e1-d731-11ce-a357-000000000001") {
		t.Fatalf("OBJREF %+v", o)
	}
	sb, sec := o.ResAddr.StringBindings, o.ResAddr.SecurityBindings
	if len(sb) != 2 || sb[0] != (StringBinding{TowerNCACNIPTCP, "WIN-8K15VKV24SG"}) || sb[1].NetworkAddr != "192.168.100.100" {
		t.Errorf("string bindings %+v", sb)
	}
	if len(sec) != 7 || sec[0] != (SecurityBinding{AuthnGSSNego, ""}) {
		t.Errorf("security bindings %+v", sec)
	}
	if got := o.Bytes(); !bytes.Equal(got, e.Enum.Data) {
		t.Fatalf("OBJREF re-encoding differs\n got %x\nwant %x", got, e.Enum.Data)
	}
}
