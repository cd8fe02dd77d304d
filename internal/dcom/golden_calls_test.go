package dcom

import (
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ndr"
)

// orpcIn and orpcOut frame an ORPC method's parameters with ORPCTHIS or
// ORPCTHAT, as the runtime does.
type orpcIn struct {
	This ORPCThis
	Body interface {
		ndr.Marshaler
		ndr.Unmarshaler
	}
}

func (o *orpcIn) MarshalNDR(w *ndr.Writer)   { w.Marshal(&o.This); o.Body.MarshalNDR(w) }
func (o *orpcIn) UnmarshalNDR(r *ndr.Reader) { r.Unmarshal(&o.This); o.Body.UnmarshalNDR(r) }

type orpcOut struct {
	That ORPCThat
	Body interface {
		ndr.Marshaler
		ndr.Unmarshaler
	}
}

func (o *orpcOut) MarshalNDR(w *ndr.Writer)   { w.Marshal(&o.That); o.Body.MarshalNDR(w) }
func (o *orpcOut) UnmarshalNDR(r *ndr.Reader) { r.Unmarshal(&o.That); o.Body.UnmarshalNDR(r) }

type goldenCall struct {
	file  string
	frame int
	name  string
	v     func() interface {
		ndr.Marshaler
		ndr.Unmarshaler
	}
}

type codec = interface {
	ndr.Marshaler
	ndr.Unmarshaler
}

var goldenCalls = []goldenCall{
	// #6 Excel (MIT): IOXIDResolver unauthenticated, activator at level 2, IRemUnknown2 at level 5.
	{capExcel, 6, "ServerAlive2 request", func() codec { return &emptyParams{} }},
	{capExcel, 7, "ServerAlive2 response", func() codec { return &ServerAlive2Response{} }},
	{capExcel, 14, "RemoteGetClassObject request", func() codec { return &RemoteGetClassObjectRequest{} }},
	{capExcel, 17, "RemoteGetClassObject response", func() codec { return &ActivationResponse{} }},
	{capExcel, 32, "IClassFactory::CreateInstance request", func() codec { return &orpcIn{Body: &createInstanceRequest{}} }},
	{capExcel, 33, "IClassFactory::CreateInstance response", func() codec { return &orpcOut{Body: &createInstanceResponse{}} }},
	{capExcel, 28, "RemQueryInterface request", func() codec { return &orpcIn{Body: &RemQueryInterfaceRequest{}} }},
	{capExcel, 29, "RemQueryInterface response", func() codec { return &orpcOut{Body: &RemQueryInterfaceResponse{}} }},
	{capExcel, 34, "RemRelease request", func() codec { return &orpcIn{Body: &RemReleaseRequest{}} }},
	{capExcel, 35, "RemRelease response", func() codec { return &orpcOut{Body: &StatusResponse{}} }},
	// #1 Win10 -> WS2016 (MIT): activator NTLM level 5 (stub plaintext, signed).
	{capWin10, 6, "ServerAlive2 request", func() codec { return &emptyParams{} }},
	{capWin10, 7, "ServerAlive2 response", func() codec { return &ServerAlive2Response{} }},
	{capWin10, 14, "RemoteGetClassObject request", func() codec { return &RemoteGetClassObjectRequest{} }},
	{capWin10, 17, "RemoteGetClassObject response", func() codec { return &ActivationResponse{} }},
	{capWin10, 63, "RemQueryInterface request", func() codec { return &orpcIn{Body: &RemQueryInterfaceRequest{}} }},
	{capWin10, 64, "RemQueryInterface response", func() codec { return &orpcOut{Body: &RemQueryInterfaceResponse{}} }},
	{capWin10, 104, "RemRelease request", func() codec { return &orpcIn{Body: &RemReleaseRequest{}} }},
	{capWin10, 105, "RemRelease response", func() codec { return &orpcOut{Body: &StatusResponse{}} }},
	// #7 SharpWMI (MIT): SimplePing at level 2.
	{capSharpWMI, 10, "SimplePing request", func() codec { return &SimplePingRequest{} }},
	{capSharpWMI, 11, "SimplePing response", func() codec { return &StatusResponse{} }},
	// #8 ShellWindows (MIT).
	{capShell, 9, "RemoteGetClassObject request", func() codec { return &RemoteGetClassObjectRequest{} }},
	{capShell, 11, "RemoteGetClassObject response", func() codec { return &ActivationResponse{} }},
	{capShell, 61, "ResolveOxid2 request", func() codec { return &ResolveOxidRequest{} }},
	{capShell, 62, "ResolveOxid2 response", func() codec { return &ResolveOxidResponse{Version2: true} }},
	{capShell, 23, "RemQueryInterface request", func() codec { return &orpcIn{Body: &RemQueryInterfaceRequest{}} }},
	{capShell, 24, "RemQueryInterface response", func() codec { return &orpcOut{Body: &RemQueryInterfaceResponse{}} }},
	{capShell, 31, "RemRelease request", func() codec { return &orpcIn{Body: &RemReleaseRequest{}} }},
	{capShell, 32, "RemRelease response", func() codec { return &orpcOut{Body: &StatusResponse{}} }},
}

// emptyParams is a request without parameters (ServerAlive2).
type emptyParams struct{}

func (*emptyParams) MarshalNDR(*ndr.Writer)   {}
func (*emptyParams) UnmarshalNDR(*ndr.Reader) {}

func TestGoldenCalls(t *testing.T) {
	pdus := map[string][]capture.PDU{}
	for _, c := range goldenCalls {
		t.Run(c.file[:12]+"/"+c.name, func(t *testing.T) {
			if pdus[c.file] == nil {
				pdus[c.file] = capture.Open(t, c.file)
			}
			v := c.v()
			roundTrip(t, stub(t, pduAt(t, pdus[c.file], c.frame)), v)
			checkGoldenCall(t, v)
		})
	}
}

// checkGoldenCall decodes the activation BLOBs and OBJREFs inside.
func checkGoldenCall(t *testing.T, v codec) {
	switch v := v.(type) {
	case *RemoteGetClassObjectRequest:
		if _, err := ParseActivationIn(v.ActProperties); err != nil {
			t.Fatal(err)
		}
	case *ActivationResponse:
		a, err := ParseActivationOut(v.ActProperties)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Interfaces() {
			if f.Ptr != nil {
				if _, err := f.Ptr.ObjRef(); err != nil {
					t.Fatal(err)
				}
			}
		}
	case *orpcOut:
		if p, ok := v.Body.(*createInstanceResponse); ok {
			if ref, err := p.Ptr.ObjRef(); err != nil || p.HR != S_OK || ref.Flags != ObjRefStandard || ref.IID != IID_IUnknown {
				t.Fatalf("CreateInstance response: %v %v %+v", err, p.HR, ref)
			}
		}
	case *orpcIn:
		if q, ok := v.Body.(*createInstanceRequest); ok && q.IID != IID_IUnknown {
			t.Fatalf("CreateInstance riid %s, want IUnknown", q.IID)
		}
	case *ServerAlive2Response:
		if v.OrBindings == nil || len(v.OrBindings.StringBindings) == 0 || v.COMVersion.Major != 5 {
			t.Fatalf("%+v", v)
		}
	}
}
