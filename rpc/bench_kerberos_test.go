package rpc_test

// Cost of Kerberos security over loopback against NTLM's in the same run
// (one server with both), tickets minted in-process (no KDC round trip):
//
//	go test ./rpc -run '^$' -bench 'Kerberos' -benchmem

import (
	"bytes"
	"context"
	"testing"

	"github.com/iisctl/iisctl/internal/krbtest"
	"github.com/iisctl/iisctl/rpc"
)

func krbBenchCases(srv *krbSrv) []struct {
	name string
	in   func() rpc.Initiator
} {
	return []struct {
		name string
		in   func() rpc.Initiator
	}{
		{"NTLM", func() rpc.Initiator { return providers[0].initiator("alice", alicePass) }},
		{"SPNEGO-NTLM", func() rpc.Initiator { return providers[1].initiator("alice", alicePass) }},
		{"Kerberos-aes256", func() rpc.Initiator { return srv.initiator(rpc.AuthTypeKerberos, krbtest.Etypes[0].ID, "alice") }},
		{"SPNEGO-Kerberos-aes256", func() rpc.Initiator { return srv.initiator(rpc.AuthTypeSPNEGO, krbtest.Etypes[0].ID, "alice") }},
		{"Kerberos-rc4", func() rpc.Initiator { return srv.initiator(rpc.AuthTypeKerberos, krbtest.Etypes[2].ID, "alice") }},
	}
}

// BenchmarkKerberosConnect: dial, bind with the handshake at privacy,
// first 64-byte call, close.
func BenchmarkKerberosConnect(b *testing.B) {
	srv := startKrbServer(b)
	stub := stubOf(64, 1)
	for _, c := range krbBenchCases(srv) {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			in := c.in()
			for b.Loop() {
				conn, err := rpc.Dial(ctx, srv.addr, nil)
				if err != nil {
					b.Fatal(err)
				}
				pc, err := conn.Bind(ctx, ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: in, Level: rpc.AuthLevelPrivacy}})
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

// BenchmarkKerberosCall400: one sealed call with a 400-byte stub on an
// established connection.
func BenchmarkKerberosCall400(b *testing.B) {
	srv := startKrbServer(b)
	stub := stubOf(400, 2)
	for _, c := range krbBenchCases(srv) {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			conn, err := rpc.Dial(ctx, srv.addr, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			pc, err := conn.Bind(ctx, ntlmIface, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: c.in(), Level: rpc.AuthLevelPrivacy}})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(stub)))
			for b.Loop() {
				if out, err := conn.Call(ctx, pc, echoOpnum, nil, stub); err != nil || !bytes.Equal(out, stub) {
					b.Fatal(err)
				}
			}
		})
	}
}
