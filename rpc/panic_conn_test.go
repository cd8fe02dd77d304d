package rpc

import (
	"bytes"
	"context"
	"testing"
)

// panicAcceptor's contexts panic in Step: a fault outside any handler.
type panicAcceptor struct{ fakeProvider }

func (p *panicAcceptor) NewServerContext() (SecurityContext, error) { return &panicSec{}, nil }

type panicSec struct{ fakeSec }

func (*panicSec) Step(context.Context, []byte) ([]byte, bool, error) { panic("acceptor bug") }

// A panic while serving a connection (here in the security layer, not a
// handler) closes that connection and nothing else: the server keeps
// serving other clients.
func TestConnectionPanicIsContained(t *testing.T) {
	bad := &panicAcceptor{fakeProvider{typ: AuthTypeNTLM}}
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, Acceptors: []Acceptor{bad}},
		Interface{UUID: testIface.UUID, Major: 1, Handler: echo})
	c, err := Dial(ctxT(t), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "pw"}
	if _, err := c.Bind(ctxT(t), testIface, &BindOptions{Auth: &AuthOptions{Initiator: client, Level: AuthLevelIntegrity}}); err == nil {
		t.Fatal("bind succeeded against a panicking acceptor")
	}
	c2, err := Dial(ctxT(t), addr, nil)
	if err != nil {
		t.Fatalf("server gone after a connection panicked: %v", err)
	}
	defer c2.Close()
	pc := mustBind(t, c2, testIface, nil)
	if out, err := c2.Call(ctxT(t), pc, 0, nil, []byte("still here")); err != nil || !bytes.Equal(out, []byte("still here")) {
		t.Fatalf("call after the panic: %q, %v", out, err)
	}
}
