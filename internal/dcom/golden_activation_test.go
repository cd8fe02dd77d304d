package dcom

import (
	"bytes"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ndr"
)

// Capture #2, frames 10 (request) and 11 (response): Windows WMI
// RemoteCreateInstance at connect level, so the stubs are plaintext.
func TestGoldenRemoteCreateInstance(t *testing.T) {
	pdus := capture.Open(t, capRCI)
	t.Run("request", func(t *testing.T) {
		var q RemoteCreateInstanceRequest
		roundTrip(t, stub(t, pduAt(t, pdus, 10)), &q)
		checkActivationIn(t, &q)
	})
	t.Run("response", func(t *testing.T) {
		var p ActivationResponse
		roundTrip(t, stub(t, pduAt(t, pdus, 11)), &p)
		checkActivationOut(t, &p)
	})
}

func checkActivationIn(t *testing.T, q *RemoteCreateInstanceRequest) {
	if q.ORPCThis.Version != (COMVersion{5, 7}) || q.UnkOuter != nil || q.ActProperties == nil {
		t.Fatalf("request %+v", q)
	}
	a, err := ParseActivationIn(q.ActProperties)
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []ndr.GUID{CLSID_SpecialSystemProperties, CLSID_InstantiationInfo, CLSID_ActivationContextInfo,
		CLSID_SecurityInfo, CLSID_ServerLocationInfo, CLSID_ScmRequestInfo}
	if len(a.Order) != len(wantOrder) || len(a.Unknown) != 0 {
		t.Fatalf("order %v unknown %d", a.Order, len(a.Unknown))
	}
	for i := range wantOrder {
		if a.Order[i] != wantOrder[i] {
			t.Fatalf("property %d is %s", i, a.Order[i])
		}
	}
	in := a.Instantiation
	if in.ClassID != ndr.MustGUID("8bc3f05e-d86b-11d0-a075-00c04fb68820") || len(in.IIDs) != 1 ||
		in.IIDs[0] != ndr.MustGUID("f309ad18-d86a-11d0-a075-00c04fb68820") || in.ThisSize != 0x58 {
		t.Errorf("InstantiationInfo %+v", in)
	}
	if a.Special.SessionID != 0xFFFFFFFF || a.Special.Alternate || a.Special.OrigClsctx != 0x14 {
		t.Errorf("SpecialProperties %+v", a.Special)
	}
	if p := a.Protseqs(); len(p) != 1 || p[0] != TowerNCACNIPTCP {
		t.Errorf("protseqs %v", p)
	}
	if s := a.Security.ServerInfo; s == nil || s.Name == nil || *s.Name != "BLACKCLOVER-DC" {
		t.Errorf("SecurityInfo %+v", a.Security)
	}
	checkClientContext(t, a.Context)
	// The typed value re-encodes to the same BLOB.
	got, err := a.MInterfacePointer()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, q.ActProperties.Data) {
		t.Fatalf("ActivationIn re-encoding differs\n got %x\nwant %x", got.Data, q.ActProperties.Data)
	}
}

func checkClientContext(t *testing.T, c *ActivationContextInfoData) {
	if c.ClientCtx == nil || c.PrototypeCtx != nil {
		t.Fatalf("ActivationContextInfo %+v", c)
	}
	o, err := c.ClientCtx.ObjRef()
	if err != nil {
		t.Fatal(err)
	}
	if o.Flags != ObjRefCustom || o.IID != IID_IContext || o.CLSID != CLSID_ContextMarshaler {
		t.Fatalf("client context OBJREF %+v", o)
	}
	ctx, err := ParseContext(o.ObjectData)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.MajorVersion != 1 || ctx.Flags != CtxMshlFlagsByVal || len(ctx.Props) != 0 || ctx.Frozen != 1 {
		t.Errorf("context %+v", ctx)
	}
	// Our minimal client context is byte-identical to Windows' but for the id.
	if mine := NewClientContext(ctx.ContextID).ObjRef().Bytes(); !bytes.Equal(mine, c.ClientCtx.Data) {
		t.Errorf("NewClientContext\n got %x\nwant %x", mine, c.ClientCtx.Data)
	}
}

func checkActivationOut(t *testing.T, p *ActivationResponse) {
	if p.Result != S_OK || p.ActProperties == nil {
		t.Fatalf("response %+v", p)
	}
	a, err := ParseActivationOut(p.ActProperties)
	if err != nil {
		t.Fatal(err)
	}
	if a.Order[0] != CLSID_PropsOutInfo || a.Order[1] != CLSID_ScmReplyInfo {
		t.Errorf("order %v", a.Order)
	}
	ifs := a.Interfaces()
	if len(ifs) != 1 || ifs[0].Result != S_OK || ifs[0].IID != ndr.MustGUID("f309ad18-d86a-11d0-a075-00c04fb68820") {
		t.Fatalf("interfaces %+v", ifs)
	}
	o, err := ifs[0].Ptr.ObjRef()
	if err != nil {
		t.Fatal(err)
	}
	if o.Flags != ObjRefStandard || len(o.ResAddr.StringBindings) != 2 || o.ResAddr.StringBindings[0].NetworkAddr != "BLACKCLOVER-DC" {
		t.Errorf("OBJREF %+v", o)
	}
	rr := a.ScmReply.RemoteReply
	if rr.ServerVersion != (COMVersion{5, 7}) || rr.AuthnHint != 4 || len(rr.OxidBindings.StringBindings) != 2 ||
		rr.OxidBindings.StringBindings[0].NetworkAddr != "BLACKCLOVER-DC[49718]" {
		t.Errorf("ScmReply %+v %+v", rr, rr.OxidBindings)
	}
	// Rebuild from the decoded parts with the server builder.
	b := NewActivationOut(*rr, ifs)
	got, err := b.MInterfacePointer()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, p.ActProperties.Data) {
		t.Fatalf("NewActivationOut differs\n got %x\nwant %x", got.Data, p.ActProperties.Data)
	}
}
