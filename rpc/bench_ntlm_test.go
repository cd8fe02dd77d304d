package rpc_test

// Cost of real NTLM security over loopback, against the same work
// unauthenticated. Compare the sub-benchmarks:
//
//	go test ./rpc -run '^$' -bench 'NTLM' -benchmem

import (
	"bytes"
	"context"
	"testing"

	"github.com/iisctl/iisctl/rpc"
)

// BenchmarkNTLMConnect: dial, bind (with the handshake), first call,
// close; "none" is the unauthenticated baseline.
func BenchmarkNTLMConnect(b *testing.B) {
	srv := startAuthServer(b, rpc.AuthLevelNone, 0)
	stub := stubOf(64, 1)
	cases := []struct {
		name string
		in   rpc.Initiator
		lvl  rpc.AuthLevel
	}{
		{"none", nil, rpc.AuthLevelNone},
		{"NTLM-privacy", providers[0].initiator("alice", alicePass), rpc.AuthLevelPrivacy},
		{"SPNEGO-privacy", providers[1].initiator("alice", alicePass), rpc.AuthLevelPrivacy},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				conn, err := rpc.Dial(ctx, srv.addr, nil)
				if err != nil {
					b.Fatal(err)
				}
				var opts *rpc.BindOptions
				if c.in != nil {
					opts = &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: c.in, Level: c.lvl}}
				}
				pc, err := conn.Bind(ctx, ntlmIface, opts)
				if err != nil {
					b.Fatal(err)
				}
				if out, err := conn.Call(ctx, pc, echoOpnum, nil, stub); err != nil || !bytes.Equal(out, stub) {
					b.Fatal(err)
				}
				conn.Close()
			}
		})
	}
}

// BenchmarkNTLMCall400: one call with a 400-byte stub on an established
// connection, unauthenticated, at integrity and at privacy.
func BenchmarkNTLMCall400(b *testing.B) {
	srv := startAuthServer(b, rpc.AuthLevelNone, 0)
	stub := stubOf(400, 2)
	for _, c := range []struct {
		name string
		p    *provider
		lvl  rpc.AuthLevel
	}{
		{"none", nil, rpc.AuthLevelNone},
		{"NTLM-integrity", &providers[0], rpc.AuthLevelIntegrity},
		{"NTLM-privacy", &providers[0], rpc.AuthLevelPrivacy},
		{"SPNEGO-privacy", &providers[1], rpc.AuthLevelPrivacy},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			conn, err := rpc.Dial(ctx, srv.addr, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			var opts *rpc.BindOptions
			if c.p != nil {
				opts = &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: c.p.initiator("alice", alicePass), Level: c.lvl}}
			}
			pc, err := conn.Bind(ctx, ntlmIface, opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(stub)))
			for b.Loop() {
				if _, err := conn.Call(ctx, pc, echoOpnum, nil, stub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
