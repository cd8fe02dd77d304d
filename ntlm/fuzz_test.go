package ntlm

import (
	"bytes"
	"context"
	"testing"
)

// seedMessages adds the spec vectors and locally generated messages.
func seedMessages(f *testing.F) {
	f.Add(specChallenge)
	f.Add(specAuthenticate)
	f.Add((&NegotiateMessage{Flags: DefaultClientFlags | NegotiateOEMDomainSupplied, Domain: "D", Version: &DefaultVersion}).Marshal())
	c, s := newPair(f, alice, ServerConfig{})
	ctx := context.Background()
	neg, _, _ := c.Step(ctx, nil)
	chal, _, _ := s.Step(ctx, neg)
	auth, _, _ := c.Step(ctx, chal)
	f.Add(neg)
	f.Add(chal)
	f.Add(auth)
	f.Add([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
}

// roundTrip checks that encoding a decoded message reaches a fixed point
// after one round.
func roundTrip[M interface{ Marshal() []byte }](t *testing.T, data []byte, parse func([]byte) (M, error)) {
	m1, err := parse(data)
	if err != nil {
		return
	}
	b1 := m1.Marshal()
	m2, err := parse(b1)
	if err != nil {
		t.Fatalf("re-parse of %x: %v", b1, err)
	}
	if b2 := m2.Marshal(); !bytes.Equal(b1, b2) {
		t.Fatalf("not a fixed point:\n%x\n%x", b1, b2)
	}
}

func FuzzParseNegotiate(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, ParseNegotiate) })
}

func FuzzParseChallenge(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, ParseChallenge) })
}

func FuzzParseAuthenticate(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, data []byte) { roundTrip(t, data, ParseAuthenticate) })
}

func FuzzParseAvPairs(f *testing.F) {
	f.Add(specTemp[blobHeaderLen:])
	f.Add(specChallenge[0x44:])
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseAvPairs(data)
		if err != nil {
			return
		}
		p2, err := ParseAvPairs(p.Marshal())
		if err != nil || len(p2) != len(p) {
			t.Fatalf("re-parse: %v (%d vs %d pairs)", err, len(p2), len(p))
		}
	})
}

// FuzzAcceptor feeds arbitrary AUTHENTICATE messages to an acceptor that
// has issued a challenge: it must fail cleanly, never panic, and never
// authenticate.
func FuzzAcceptor(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, s := newPair(t, alice, ServerConfig{})
		ctx := context.Background()
		if _, _, err := s.Step(ctx, (&NegotiateMessage{Flags: DefaultClientFlags}).Marshal()); err != nil {
			t.Fatal(err)
		}
		if _, done, err := s.Step(ctx, data); err == nil || done {
			t.Fatalf("accepted forged AUTHENTICATE %x", data)
		}
	})
}
