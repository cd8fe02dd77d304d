package dcom

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// fuzzServer is a Server that is not listening, with one echo object.
func fuzzServer(tb testing.TB) (*Server, ndr.GUID) {
	s := NewServer(&ServerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e := &echoClass{}
	if err := s.Register(e.class()); err != nil {
		tb.Fatal(err)
	}
	_, ipids := s.tab.export(&echoObject{closed: &e.closed}, e.class(), []ndr.GUID{IID_IEcho}, 1)
	return s, ipids[0]
}

func fuzzCall(iid ndr.GUID, opnum uint16, object ndr.GUID, stub []byte) *rpc.Call {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 135}
	return &rpc.Call{Opnum: opnum, Object: object, HasObject: true, Syntax: ndr.NDR20, Stub: stub,
		Interface: rpc.SyntaxID{UUID: iid}, AuthLevel: rpc.AuthLevelPrivacy, AuthType: rpc.AuthTypeNTLM,
		Peer: rpc.Peer{User: "admin", Domain: "D", Admin: true}, LocalAddr: addr, RemoteAddr: addr}
}

func marshal(tb testing.TB, m ndr.Marshaler) []byte {
	w := ndr.NewWriter(ndr.NDR20)
	w.Marshal(m)
	if err := w.Err(); err != nil {
		tb.Fatal(err)
	}
	return w.Bytes()
}

// FuzzServerActivation feeds RemoteCreateInstance, RemoteGetClassObject
// and RemoteActivation stubs (the activation in-blob parse) to the handlers.
func FuzzServerActivation(f *testing.F) {
	mip, err := BuildActivationIn(CLSID_Echo, []ndr.GUID{IID_IEcho, IID_Other}, ActivationInOptions{ContextID: IID_IContext}).MInterfacePointer()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(4), marshal(f, &RemoteCreateInstanceRequest{ORPCThis: newORPCThis(), ActProperties: mip}))
	f.Add(uint8(3), marshal(f, &RemoteGetClassObjectRequest{ORPCThis: newORPCThis(), ActProperties: mip}))
	f.Add(uint8(0), marshal(f, &RemoteActivationRequest{ORPCThis: newORPCThis(), CLSID: CLSID_Echo,
		IIDs: []ndr.GUID{IID_IEcho}, RequestedProtseqs: []uint16{7}}))
	s, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, op uint8, stub []byte) {
		ctx := context.Background()
		if op == 0 {
			s.serveActivation(ctx, fuzzCall(IID_IActivation, 0, ndr.GUID{}, stub))
		} else {
			s.serveSCM(ctx, fuzzCall(IID_IRemoteSCMActivator, uint16(op%5), ndr.GUID{}, stub))
		}
		s.tab.dropAll() // keep the table small
	})
}

// FuzzServerORPC feeds ORPCTHIS and arguments to an object interface and to
// IRemUnknown(2) (RemQueryInterface, RemAddRef, RemRelease,
// RemQueryInterface2).
func FuzzServerORPC(f *testing.F) {
	s, ipid := fuzzServer(f)
	this := marshal(f, &ORPCThis{Version: serverVersion})
	cat := func(a, b []byte) []byte { return append(append([]byte{}, a...), b...) }
	f.Add(uint8(0), uint8(3), cat(this, []byte{1, 0, 0, 0}))
	f.Add(uint8(1), uint8(3), cat(this, marshal(f, &RemQueryInterfaceRequest{IPID: ipid, CRefs: 1, IIDs: []ndr.GUID{IID_IEcho, IID_IUnknown}})))
	f.Add(uint8(1), uint8(4), cat(this, marshal(f, &RemAddRefRequest{Refs: []RemInterfaceRef{{IPID: ipid, CPublicRefs: 2}}})))
	f.Add(uint8(1), uint8(5), cat(this, marshal(f, &RemReleaseRequest{Refs: []RemInterfaceRef{{IPID: ipid, CPublicRefs: 1}}})))
	f.Add(uint8(2), uint8(6), cat(this, marshal(f, &RemQueryInterface2Request{IPID: ipid, IIDs: []ndr.GUID{IID_IEcho}})))
	ext := &ORPCThis{Version: serverVersion, Extensions: &ORPCExtentArray{Size: 1, Extents: []*ORPCExtent{{Data: []byte{1, 2, 3}}, nil}}}
	f.Add(uint8(0), uint8(3), cat(marshal(f, ext), []byte{1, 0, 0, 0}))
	f.Add(uint8(1), uint8(7), this) // opnum past the table: found by fuzzing
	f.Fuzz(func(t *testing.T, which, op uint8, stub []byte) {
		ctx := context.Background()
		switch which % 3 {
		case 0:
			s.serveORPC(ctx, fuzzCall(IID_IEcho, uint16(op%8), ipid, stub))
		case 1:
			s.serveRemUnknown(ctx, fuzzCall(IID_IRemUnknown, uint16(op%8), s.tab.remUnk, stub))
		case 2:
			s.serveRemUnknown(ctx, fuzzCall(IID_IRemUnknown2, uint16(op%8), s.tab.remUnk, stub))
		}
	})
}

// FuzzServerResolver feeds IObjectExporter stubs to the resolver.
func FuzzServerResolver(f *testing.F) {
	s, _ := fuzzServer(f)
	f.Add(uint8(0), marshal(f, &ResolveOxidRequest{OXID: s.tab.oxid, RequestedProtseqs: []uint16{7}}))
	f.Add(uint8(1), marshal(f, &SimplePingRequest{SetID: 1}))
	f.Add(uint8(2), marshal(f, &ComplexPingRequest{AddToSet: []uint64{1, 2}, DelFromSet: []uint64{3}}))
	f.Fuzz(func(t *testing.T, op uint8, stub []byte) {
		s.serveResolver(context.Background(), fuzzCall(IID_IObjectExporter, uint16(op%6), ndr.GUID{}, stub))
	})
}
