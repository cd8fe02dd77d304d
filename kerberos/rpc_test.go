package kerberos

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

var echoIface = rpc.SyntaxID{UUID: ndr.MustGUID("5b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"), Major: 1}

type lastCall struct {
	mu sync.Mutex
	c  rpc.Call
}

// startRPC serves an echo interface with the given acceptors.
func startRPC(t testing.TB, accs ...rpc.Acceptor) (string, *lastCall) {
	t.Helper()
	seen := &lastCall{}
	s := rpc.NewServer(&rpc.ServerConfig{Acceptors: accs, MinLevel: rpc.AuthLevelConnect,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	err := s.Register(rpc.Interface{UUID: echoIface.UUID, Major: echoIface.Major, Opnums: 1,
		Handler: rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) ([]byte, error) {
			seen.mu.Lock()
			seen.c = *c
			seen.mu.Unlock()
			return bytes.Clone(c.Stub), nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return l.Addr().String(), seen
}

func dialRPC(t testing.TB, addr string) *rpc.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := rpc.NewConn(nc, nil)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRPCKerberos runs auth type 16 over loopback at connect, integrity
// and privacy for each etype: three legs (bind, bind_ack, auth3), then
// calls of several sizes (fragmented too) echoed back.
func TestRPCKerberos(t *testing.T) {
	kt := testKeytab(t, "service-password")
	acc := NewAcceptor(AcceptorConfig{Keytab: kt, SPNs: []string{testSPN},
		IsAdmin: func(i Identity) bool { return i.Principal == "alice" }})
	addr, seen := startRPC(t, acc)
	for _, e := range etypes {
		for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelConnect, rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
			t.Run(e.name+"/"+map[rpc.AuthLevel]string{2: "connect", 5: "integrity", 6: "privacy"}[lvl], func(t *testing.T) {
				c := dialRPC(t, addr)
				in := Initiator{Config: ClientConfig{Tickets: &fakeKDC{kt: kt, etype: e.id}, SPN: testSPN}}
				pc, err := c.Bind(tctx(t), echoIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: in, Level: lvl}})
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range []int{1, 400, 9000} {
					stub := stub(n)
					out, err := c.Call(tctx(t), pc, 0, nil, stub)
					if err != nil || !bytes.Equal(out, stub) {
						t.Fatalf("%d-byte call: %v", n, err)
					}
				}
				seen.mu.Lock()
				got := seen.c
				seen.mu.Unlock()
				if got.AuthType != rpc.AuthTypeKerberos || got.AuthLevel != lvl || got.Peer.User != "alice" || got.Peer.Domain != testRealm || !got.Peer.Admin {
					t.Fatalf("call saw %v level %d peer %+v", got.AuthType, got.AuthLevel, got.Peer)
				}
				if s, ok := got.Security.(*Server); !ok || s.Identity().Service != testSPN {
					t.Fatalf("security context %T", got.Security)
				}
			})
		}
	}
	// A refused ticket gets bind_nak and the server keeps serving.
	t.Run("refused", func(t *testing.T) {
		c := dialRPC(t, addr)
		in := Initiator{Config: ClientConfig{Tickets: &fakeKDC{kt: testKeytab(t, "wrong"), etype: etypes[0].id}, SPN: testSPN}}
		_, err := c.Bind(tctx(t), echoIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: in, Level: rpc.AuthLevelPrivacy}})
		var nak *rpc.BindNakError
		if !errors.As(err, &nak) {
			t.Fatalf("wrong key: %v", err)
		}
		c2 := dialRPC(t, addr)
		in2 := Initiator{Config: ClientConfig{Tickets: &fakeKDC{kt: kt, etype: etypes[0].id}, SPN: testSPN}}
		pc, err := c2.Bind(tctx(t), echoIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: in2, Level: rpc.AuthLevelPrivacy}})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := c2.Call(tctx(t), pc, 0, nil, []byte("still")); err != nil || string(out) != "still" {
			t.Fatalf("server no longer serves: %v", err)
		}
	})
}
