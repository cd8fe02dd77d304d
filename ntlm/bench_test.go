package ntlm

import (
	"context"
	"crypto/rand"
	"testing"
)

func BenchmarkHandshake(b *testing.B) {
	users := testUsers(b)
	ctx := context.Background()
	for b.Loop() {
		c := NewClient(ClientConfig{User: "alice", Domain: "CORP", NTHash: NTHash("Secret1!"), Rand: rand.Reader, Now: fixedNow})
		s, _ := NewServer(ServerConfig{Creds: users, NetBIOSComputer: "H", DNSComputer: "h.example", Now: fixedNow})
		neg, _, _ := c.Step(ctx, nil)
		chal, _, _ := s.Step(ctx, neg)
		auth, _, _ := c.Step(ctx, chal)
		if _, _, err := s.Step(ctx, auth); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPair(b *testing.B) (*Client, *Server) {
	c, s := newPair(b, alice, ServerConfig{})
	if err := handshake(b, c, s, nil); err != nil {
		b.Fatal(err)
	}
	return c, s
}

func BenchmarkSealUnseal400(b *testing.B) {
	c, s := benchPair(b)
	pdu := make([]byte, 400)
	b.SetBytes(400)
	for b.Loop() {
		sig, err := c.Seal(pdu, pdu[24:])
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Unseal(pdu, pdu[24:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign400(b *testing.B) {
	c, _ := benchPair(b)
	pdu := make([]byte, 400)
	b.SetBytes(400)
	for b.Loop() {
		if _, err := c.Sign(pdu); err != nil {
			b.Fatal(err)
		}
	}
}
