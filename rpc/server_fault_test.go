package rpc

import (
	"errors"
	"net"
	"testing"
	"time"
)

func faultStatus(t *testing.T, err error) *FaultError {
	t.Helper()
	var fe *FaultError
	if !errors.As(err, &fe) {
		t.Fatalf("want fault, got %v", err)
	}
	return fe
}

func TestFaults(t *testing.T) {
	s, addr := startServer(t, nil,
		Interface{UUID: testIface.UUID, Major: 1, Opnums: 8, Handler: echo},
		Interface{UUID: testIface2.UUID, Major: 2, Minor: 1, Handler: echo})
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	pc2 := mustBind(t, c, testIface2, nil)
	cases := []struct {
		name   string
		pc     *PresContext
		opnum  uint16
		status uint32
		dne    bool
	}{
		{"op range", pc, 8, StatusOpRangeError, true},
		{"panic", pc, 1, StatusCallFailed, false},
		{"FaultError", pc, 2, 0x80070005, false},
		{"ErrInvalidStub", pc, 3, StatusBadStubData, true},
		{"other error", pc, 4, StatusCallFailed, false},
		{"RPCFaultStatus", pc, 5, StatusBadStubData, true},
		{"bad p_cont_id", &PresContext{ID: 99}, 0, StatusInvalidPresContext, true},
	}
	for _, tc := range cases {
		_, err := c.Call(ctxT(t), tc.pc, tc.opnum, nil, []byte{1})
		if fe := faultStatus(t, err); fe.Status != tc.status || fe.DidNotExecute != tc.dne {
			t.Errorf("%s: %+v, want %#x dne %v", tc.name, fe, tc.status, tc.dne)
		}
	}
	s.Unregister(testIface2.UUID, 2)
	_, err := c.Call(ctxT(t), pc2, 0, nil, nil)
	if fe := faultStatus(t, err); fe.Status != StatusUnknownInterface {
		t.Errorf("unregistered: %v", fe)
	}
	// The connection survived all of these.
	if out, err := c.Call(ctxT(t), pc, 0, nil, []byte("ok")); err != nil || string(out) != "ok" {
		t.Fatal("after faults:", out, err)
	}
}

func TestOversizeStub(t *testing.T) {
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, MaxStub: 8192})
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	_, err := c.Call(ctxT(t), pc, 0, nil, make([]byte, 20000))
	if fe := faultStatus(t, err); fe.Status != StatusAccessDenied {
		t.Fatal(fe)
	}
	if _, err := c.Call(ctxT(t), pc, 0, nil, nil); err == nil {
		t.Fatal("connection still open after oversize stub")
	}
}

func TestAssocGroups(t *testing.T) {
	_, addr := startServer(t, nil)
	c1 := dial(t, addr, nil)
	mustBind(t, c1, testIface, nil)
	c2 := dial(t, addr, &ClientConfig{AssocGroup: c1.AssocGroup()})
	mustBind(t, c2, testIface, nil)
	if c2.AssocGroup() != c1.AssocGroup() {
		t.Fatalf("join: %d != %d", c2.AssocGroup(), c1.AssocGroup())
	}
	c3 := dial(t, addr, &ClientConfig{AssocGroup: 0xDEAD})
	var ne *BindNakError
	if _, err := c3.Bind(ctxT(t), testIface, nil); !errors.As(err, &ne) || ne.Reason != 0 {
		t.Fatalf("unknown group: %v", err)
	}
}

// rawExchange writes raw PDU bytes and returns the decoded answer, or nil
// when the server closed the connection without one.
func rawExchange(t *testing.T, addr string, pdus ...*PDU) (*PDU, net.Conn) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	tr := transport{nc: nc}
	var last *PDU
	for _, p := range pdus {
		if err := tr.writePDU(p, nil); err != nil {
			t.Fatal(err)
		}
		if p.Type == PTypeAuth3 || p.Type == PTypeCoCancel || p.Type == PTypeOrphaned {
			continue
		}
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		last, _, _, err = tr.readFragment()
		if err != nil {
			return nil, nc
		}
	}
	return last, nc
}

func bindPDU(ver uint8, group uint32, v *Verifier) *PDU {
	return &PDU{Header: Header{Version: ver, Type: PTypeBind, Flags: 3, CallID: 1}, Auth: v,
		Body: &Bind{MaxXmitFrag: 5840, MaxRecvFrag: 5840, AssocGroup: group,
			Contexts: []ContextElement{{Abstract: testIface, Transfer: []SyntaxID{SyntaxNDR20}}}}}
}

func expectClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatalf("connection still open (read %d)", n)
	}
}

func TestBindNaks(t *testing.T) {
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, Acceptors: []Acceptor{&fakeProvider{typ: AuthTypeNTLM, legs: 3}}})
	r, nc := rawExchange(t, addr, bindPDU(4, 0, nil))
	if n, ok := r.Body.(*BindNak); !ok || n.Reason != NakProtocolVersionNotSupp || len(n.Versions) != 1 || n.Versions[0] != (Version{5, 0}) {
		t.Fatalf("version: %+v", r)
	}
	expectClosed(t, nc)
	r, nc = rawExchange(t, addr, bindPDU(5, 0, &Verifier{Type: 0x44, Level: AuthLevelPrivacy, Token: []byte("x")}))
	if n, ok := r.Body.(*BindNak); !ok || n.Reason != NakAuthTypeNotRecognized {
		t.Fatalf("auth type: %+v", r)
	}
	expectClosed(t, nc)
	r, nc = rawExchange(t, addr, bindPDU(5, 0, &Verifier{Type: AuthTypeNTLM, Level: AuthLevelPrivacy, Token: []byte("garbage")}))
	if n, ok := r.Body.(*BindNak); !ok || n.Reason != NakInvalidChecksum {
		t.Fatalf("bad token: %+v", r)
	}
	expectClosed(t, nc)
}

func TestProtocolErrors(t *testing.T) {
	_, addr := startServer(t, nil)
	resp := &PDU{Header: Header{Version: 5, Type: PTypeResponse, Flags: 3, CallID: 2}, Body: &Response{}}
	r, nc := rawExchange(t, addr, bindPDU(5, 0, nil), resp)
	if f, ok := r.Body.(*Fault); !ok || f.Status != StatusProtoError {
		t.Fatalf("response from client: %+v", r)
	}
	expectClosed(t, nc)
	// Request before bind.
	req := &PDU{Header: Header{Version: 5, Type: PTypeRequest, Flags: 3, CallID: 2}, Body: &Request{}}
	r, nc = rawExchange(t, addr, req)
	if f, ok := r.Body.(*Fault); !ok || f.Status != StatusProtoError {
		t.Fatalf("request before bind: %+v", r)
	}
	expectClosed(t, nc)
	// Mismatched fragment: opnum changes mid-call.
	f1 := &PDU{Header: Header{Version: 5, Type: PTypeRequest, Flags: FlagFirstFrag, CallID: 2}, Body: &Request{Opnum: 0, Stub: []byte{1}}}
	f2 := &PDU{Header: Header{Version: 5, Type: PTypeRequest, Flags: FlagLastFrag, CallID: 2}, Body: &Request{Opnum: 1, Stub: []byte{1}}}
	nc, _ = net.Dial("tcp", addr)
	defer nc.Close()
	tr := transport{nc: nc}
	tr.writePDU(bindPDU(5, 0, nil), nil)
	tr.readFragment()
	tr.writePDU(f1, nil)
	tr.writePDU(f2, nil)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	p, _, _, err := tr.readFragment()
	if err != nil || p.Body.(*Fault).Status != StatusProtoError {
		t.Fatalf("mismatched fragment: %v %+v", err, p)
	}
	expectClosed(t, nc)
}

func TestErrorStrings(t *testing.T) {
	cases := map[string]error{
		"rpc: bind rejected: authentication_type_not_recognized (8)": &BindNakError{Reason: 8},
		"rpc: bind rejected: reason 77":                              &BindNakError{Reason: 77},
		"rpc: fault 0x80070005":                                      &FaultError{Status: 0x80070005},
		"rpc: presentation context rejected: result 2 reason 1":      &ContextRejectedError{Result: 2, Reason: 1},
	}
	for want, err := range cases {
		if err.Error() != want {
			t.Errorf("%q, want %q", err.Error(), want)
		}
	}
}

func TestMaxConns(t *testing.T) {
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, MaxConns: 1})
	c := dial(t, addr, nil)
	mustBind(t, c, testIface, nil)
	c2 := dial(t, addr, nil)
	if _, err := c2.Bind(ctxT(t), testIface, nil); err == nil {
		t.Fatal("second connection served over MaxConns=1")
	}
	p1, p2 := net.Pipe()
	defer p2.Close()
	if _, err := NewConn(p1, nil).AlterContext(ctxT(t), testIface, nil); err == nil {
		t.Fatal("alter before bind accepted")
	}
}
