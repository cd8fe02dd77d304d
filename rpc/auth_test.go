package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

func authServer(t *testing.T, minLevel AuthLevel, h Handler) (string, *fakeProvider, *fakeProvider) {
	ntlm := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "pw"}
	spnego := &fakeProvider{typ: AuthTypeSPNEGO, legs: 4, password: "pw"}
	if h == nil {
		h = echo
	}
	_, addr := startServer(t, &ServerConfig{MinLevel: minLevel, MaxFragment: 2048, Acceptors: []Acceptor{ntlm, spnego}},
		Interface{UUID: testIface.UUID, Major: 1, Handler: h},
		Interface{UUID: testIface2.UUID, Major: 2, Minor: 1, Handler: h, MinLevel: AuthLevelNone})
	return addr, ntlm, spnego
}

// recConn records what the client writes and can flip one byte of the
// at-th write.
type recConn struct {
	net.Conn
	mu     sync.Mutex
	buf    bytes.Buffer
	writes atomic.Int32
	at     int32
	off    int
}

func (c *recConn) Write(b []byte) (int, error) {
	if n := c.writes.Add(1); n == c.at {
		b = bytes.Clone(b)
		b[c.off] ^= 0x01
	}
	c.mu.Lock()
	c.buf.Write(b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func dialRec(t *testing.T, addr string, at int32, off int) (*Conn, *recConn) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rc := &recConn{Conn: nc, at: at, off: off}
	c := NewConn(rc, &ClientConfig{MaxFragment: 2048})
	t.Cleanup(func() { c.Close() })
	return c, rc
}

func TestAuthLevels(t *testing.T) {
	var last atomic.Pointer[Call]
	h := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) { last.Store(c); return bytes.Clone(c.Stub), nil })
	for _, legs := range []int{3, 4} {
		for _, lvl := range []AuthLevel{AuthLevelConnect, AuthLevelPkt, AuthLevelIntegrity, AuthLevelPrivacy} {
			t.Run(fmt.Sprintf("legs%d/level%d", legs, lvl), func(t *testing.T) {
				addr, ntlm, spnego := authServer(t, lvl, h)
				prov := map[int]*fakeProvider{3: ntlm, 4: spnego}[legs]
				c, rc := dialRec(t, addr, 0, 0)
				pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: prov, Level: lvl}})
				in := append([]byte("SECRET-PLAINTEXT"), pattern(9000)...)
				out, err := c.Call(ctxT(t), pc, 0, nil, in)
				if err != nil || !bytes.Equal(out, in) {
					t.Fatalf("call: %v (len %d)", err, len(out))
				}
				got := last.Load()
				if got.Peer.String() != `TEST\alice` || got.AuthLevel != lvl || got.AuthType != prov.typ || got.Security == nil {
					t.Fatalf("call sees %+v", got)
				}
				rc.mu.Lock()
				leaked := bytes.Contains(rc.buf.Bytes(), []byte("SECRET-PLAINTEXT"))
				rc.mu.Unlock()
				if leaked != (lvl != AuthLevelPrivacy) {
					t.Fatalf("plaintext on the wire: %v at level %d", leaked, lvl)
				}
				if hs := pc.Auth.ac.headerSign; hs != (lvl >= AuthLevelIntegrity) {
					t.Fatalf("SUPPORT_HEADER_SIGN echoed: %v", hs)
				}
			})
		}
	}
}

func assertClosedAfterFault(t *testing.T, c *Conn, pc *PresContext, err error, status uint32) {
	t.Helper()
	if fe := faultStatus(t, err); fe.Status != status || fe.DidNotExecute {
		t.Fatalf("fault %+v, want %#x without DID_NOT_EXECUTE", fe, status)
	}
	if _, err := c.Call(ctxT(t), pc, 0, nil, []byte{1}); err == nil {
		t.Fatal("connection still usable")
	}
}

func TestAuthTamper(t *testing.T) {
	for _, lvl := range []AuthLevel{AuthLevelIntegrity, AuthLevelPrivacy} {
		addr, ntlm, _ := authServer(t, lvl, nil)
		// Writes: bind, auth3, request; flip a stub byte of the request.
		c, _ := dialRec(t, addr, 3, 30)
		pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: ntlm, Level: lvl}})
		_, err := c.Call(ctxT(t), pc, 0, nil, pattern(100))
		assertClosedAfterFault(t, c, pc, err, StatusAccessDenied)
		// Other connections are unaffected.
		c2 := dial(t, addr, nil)
		pc2 := mustBind(t, c2, testIface, &BindOptions{Auth: &AuthOptions{Initiator: ntlm, Level: lvl}})
		if _, err := c2.Call(ctxT(t), pc2, 0, nil, pattern(100)); err != nil {
			t.Fatal("second connection:", err)
		}
	}
}

func TestAuthFailures(t *testing.T) {
	addr, _, _ := authServer(t, AuthLevelIntegrity, nil)
	bad3 := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "wrong"}
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: bad3, Level: AuthLevelIntegrity}})
	_, err := c.Call(ctxT(t), pc, 0, nil, []byte{1})
	assertClosedAfterFault(t, c, pc, err, StatusAccessDenied)

	bad4 := &fakeProvider{typ: AuthTypeSPNEGO, legs: 4, password: "wrong"}
	c = dial(t, addr, nil)
	_, err = c.Bind(ctxT(t), testIface, &BindOptions{Auth: &AuthOptions{Initiator: bad4, Level: AuthLevelIntegrity}})
	if fe := faultStatus(t, err); fe.Status != StatusAccessDenied {
		t.Fatalf("4-leg failure: %v", fe)
	}
}

func TestAuthLevelBelowMinimum(t *testing.T) {
	addr, ntlm, _ := authServer(t, AuthLevelPrivacy, nil)
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: ntlm, Level: AuthLevelIntegrity}})
	_, err := c.Call(ctxT(t), pc, 0, nil, []byte{1})
	assertClosedAfterFault(t, c, pc, err, StatusAccessDenied)
	// Unauthenticated call on the default-level interface.
	c = dial(t, addr, nil)
	pc = mustBind(t, c, testIface, nil)
	_, err = c.Call(ctxT(t), pc, 0, nil, []byte{1})
	assertClosedAfterFault(t, c, pc, err, StatusAccessDenied)
}

func TestUnauthenticatedInterface(t *testing.T) {
	addr, ntlm, _ := authServer(t, AuthLevelPrivacy, nil)
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface2, nil)
	if out, err := c.Call(ctxT(t), pc, 0, nil, []byte("hi")); err != nil || string(out) != "hi" {
		t.Fatal(out, err)
	}
	// Same connection: add the protected interface with privacy via alter.
	pc1 := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: ntlm, Level: AuthLevelPrivacy}})
	if out, err := c.Call(ctxT(t), pc1, 0, nil, []byte("sealed")); err != nil || string(out) != "sealed" {
		t.Fatal(out, err)
	}
}

func TestMultipleAuthContexts(t *testing.T) {
	var ids []uint32
	var mu sync.Mutex
	h := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) {
		mu.Lock()
		ids = append(ids, c.AuthContextID)
		mu.Unlock()
		return c.Stub, nil
	})
	addr, ntlm, spnego := authServer(t, AuthLevelIntegrity, h)
	c := dial(t, addr, nil)
	pc1 := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: ntlm, Level: AuthLevelIntegrity}})
	// impacket-style: a fresh handshake under a new id via alter_context.
	pc2 := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: spnego, Level: AuthLevelPrivacy}})
	// Reuse the first context for a third presentation context (no verifier in the alter).
	pc3 := mustBind(t, c, testIface2, &BindOptions{AuthContext: pc1.Auth})
	for _, pc := range []*PresContext{pc1, pc2, pc3, pc2, pc1} {
		if _, err := c.Call(ctxT(t), pc, 0, nil, pattern(5000)); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(ids) != "[0 1 0 1 0]" {
		t.Fatalf("auth context ids %v", ids)
	}
}

func TestVerificationTrailerServer(t *testing.T) {
	var got atomic.Pointer[Call]
	h := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) { got.Store(c); return c.Stub, nil })
	_, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Handler: h})
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	mk := func(opnum uint16, cmds ...VTCommand) []byte {
		return (&VerificationTrailer{Commands: cmds}).AppendTo([]byte{1, 2, 3})
	}
	pcx := PContextCommand(VTPContext{Interface: testIface, Transfer: SyntaxNDR20})
	// call ids: bind=1, so the first call is 2.
	h2 := Header2Command(VTHeader2{PType: PTypeRequest, DRep: DRepLE, CallID: 2, ContextID: pc.ID, Opnum: 0})
	// bitmask 0: this bind carries no PFC_SUPPORT_HEADER_SIGN ([MS-RPCE] 2.2.2.13.2).
	out, err := c.Call(ctxT(t), pc, 0, nil, mk(0, BitmaskCommand(0), pcx, h2))
	if err != nil || !bytes.Equal(out, []byte{1, 2, 3, 0}) || got.Load().VerificationTrailer == nil {
		t.Fatalf("good trailer: %v %x", err, out)
	}
	badPcx := PContextCommand(VTPContext{Interface: testIface2, Transfer: SyntaxNDR20})
	_, err = c.Call(ctxT(t), pc, 0, nil, mk(0, badPcx))
	if fe := faultStatus(t, err); fe.Status != StatusAccessDenied {
		t.Fatal(fe)
	}
	unknown := VTCommand{Command: 0x0007 | VTFlagMustProcess, Value: []byte{1, 2, 3, 4}}
	_, err = c.Call(ctxT(t), pc, 0, nil, mk(0, unknown))
	if fe := faultStatus(t, err); fe.Status != StatusAccessDenied {
		t.Fatal(fe)
	}
	if !errors.Is(err, err) {
		t.Fatal()
	}
}

// TestConnectLevelOptionalSignature: at connect level a request may carry
// the NTLM {1, 0...} signature, which is accepted unverified, or none.
func TestConnectLevelOptionalSignature(t *testing.T) {
	addr, ntlm, _ := authServer(t, AuthLevelConnect, nil)
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: ntlm, Level: AuthLevelConnect}})
	if out, err := c.Call(ctxT(t), pc, 0, nil, []byte("plain")); err != nil || string(out) != "plain" {
		t.Fatal(out, err)
	}
	sig := append([]byte{1}, make([]byte, 15)...)
	id := c.callID()
	p := &PDU{Header: Header{Version: 5, Type: PTypeRequest, Flags: 3, CallID: id},
		Body: &Request{ContextID: pc.ID, Stub: []byte("signed")},
		Auth: &Verifier{Type: AuthTypeNTLM, Level: AuthLevelConnect, ContextID: pc.Auth.ID(), Token: sig}}
	if err := c.t.writePDU(p, nil); err != nil {
		t.Fatal(err)
	}
	if out, err := c.readResponse(id, nil); err != nil || string(out) != "signed" {
		t.Fatal(out, err)
	}
}
