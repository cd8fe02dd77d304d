package ntlm

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func fixedNow() time.Time { return testNow }

func seeded(n byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{n}) }

// testUsers holds CORP\alice (admin, Secret1!) and bob for any domain.
func testUsers(t testing.TB) *UsersFile {
	uf := &UsersFile{}
	if err := uf.AddUser("alice", "CORP", NTHash("Secret1!"), true); err != nil {
		t.Fatal(err)
	}
	if err := uf.AddUser("bob", "", NTHash("hunter2"), false); err != nil {
		t.Fatal(err)
	}
	return uf
}

func newPair(t testing.TB, ccfg ClientConfig, scfg ServerConfig) (*Client, *Server) {
	if ccfg.Rand == nil {
		ccfg.Rand = seeded(1)
	}
	if ccfg.Now == nil {
		ccfg.Now = fixedNow
	}
	if scfg.Creds == nil {
		scfg.Creds = testUsers(t)
	}
	if scfg.Rand == nil {
		scfg.Rand = seeded(2)
	}
	if scfg.Now == nil {
		scfg.Now = fixedNow
	}
	if scfg.NetBIOSComputer == "" {
		scfg.NetBIOSComputer, scfg.DNSComputer = "IISHOST", "iishost.corp.example"
	}
	srv, err := NewServer(scfg)
	if err != nil {
		t.Fatal(err)
	}
	return NewClient(ccfg), srv
}

// handshake runs the three legs and returns the acceptor's final error.
func handshake(t testing.TB, c *Client, s *Server, mutate func([]byte) []byte) error {
	ctx := context.Background()
	neg, done, err := c.Step(ctx, nil)
	if err != nil || done {
		t.Fatalf("client NEGOTIATE: done=%v err=%v", done, err)
	}
	chal, done, err := s.Step(ctx, neg)
	if err != nil {
		return err
	}
	if done {
		t.Fatal("server done after NEGOTIATE")
	}
	auth, done, err := c.Step(ctx, chal)
	if err != nil || !done {
		t.Fatalf("client AUTHENTICATE: done=%v err=%v", done, err)
	}
	if mutate != nil {
		auth = mutate(auth)
	}
	out, done, err := s.Step(ctx, auth)
	if err == nil && (!done || out != nil) {
		t.Fatalf("server final step: out=%x done=%v", out, done)
	}
	return err
}

var alice = ClientConfig{User: "Alice", Domain: "corp", Password: "Secret1!", Workstation: "WS1"}

func TestHandshakeSignSeal(t *testing.T) {
	c, s := newPair(t, alice, ServerConfig{RequireMIC: true})
	if _, err := c.Sign([]byte("x")); !errors.Is(err, ErrNotEstablished) {
		t.Errorf("Sign before handshake: %v", err)
	}
	if err := handshake(t, c, s, nil); err != nil {
		t.Fatal(err)
	}
	if p := s.Peer(); p.User != "Alice" || p.Domain != "corp" || !p.Admin {
		t.Errorf("peer %+v", p)
	}
	if !s.MICPresent() {
		t.Error("Windows-like client must send a MIC")
	}
	if c.Flags() != s.Flags() || !c.Flags().Has(NegotiateSeal|NegotiateKeyExch|Negotiate128) {
		t.Errorf("flags client %v server %v", c.Flags(), s.Flags())
	}
	ck, _ := c.SessionKey()
	sk, _ := s.SessionKey()
	if ck != sk {
		t.Fatal("session keys differ")
	}
	for i := 0; i < 3; i++ {
		exchange(t, c, s, i)
		exchange(t, s, c, i)
	}
	if out, in := c.SeqNums(); out != 6 || in != 6 {
		t.Errorf("client seq out=%d in=%d, want 6 6", out, in)
	}
}

type protector interface {
	Sign([]byte) ([]byte, error)
	Verify(msg, sig []byte) error
	Seal(msg, data []byte) ([]byte, error)
	Unseal(msg, data, sig []byte) error
}

// exchange sends one signed and one sealed PDU from a to b.
func exchange(t *testing.T, a, b protector, i int) {
	t.Helper()
	msg := bytes.Repeat([]byte{byte(i), 0x5a}, 40)
	sig, err := a.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(msg, sig); err != nil {
		t.Fatalf("Verify #%d: %v", i, err)
	}
	pdu := append([]byte("HEADER.."), msg...)
	plain := bytes.Clone(pdu)
	data := pdu[8:]
	sig, err = a.Seal(pdu, data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(pdu, plain) || !bytes.Equal(pdu[:8], plain[:8]) {
		t.Fatal("Seal must encrypt data only")
	}
	if err := b.Unseal(pdu, data, sig); err != nil {
		t.Fatalf("Unseal #%d: %v", i, err)
	}
	if !bytes.Equal(pdu, plain) {
		t.Fatal("Unseal did not restore the plaintext")
	}
}

func TestSequenceAndTamper(t *testing.T) {
	c, s := newPair(t, alice, ServerConfig{})
	if err := handshake(t, c, s, nil); err != nil {
		t.Fatal(err)
	}
	m0, m1 := []byte("first"), []byte("second")
	sig0, _ := c.Sign(m0)
	sig1, _ := c.Sign(m1)
	if err := s.Verify(m1, sig1); !errors.Is(err, ErrSequence) {
		t.Errorf("skipped seq: %v", err)
	}
	if err := s.Verify([]byte("firsT"), sig0); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered msg: %v", err)
	}
	// Failures leave the state alone: the genuine message still verifies.
	if err := s.Verify(m0, sig0); err != nil {
		t.Fatalf("after failures: %v", err)
	}
	if err := s.Verify(m0, sig0); !errors.Is(err, ErrSequence) {
		t.Errorf("replay: %v", err)
	}
	if err := s.Verify(m1, sig1); err != nil {
		t.Fatalf("in order: %v", err)
	}

	// Unseal failure restores the sealed bytes and the RC4 state.
	pdu := []byte("hdr:sealed body")
	sig, _ := c.Seal(pdu, pdu[4:])
	sealed := bytes.Clone(pdu)
	bad := bytes.Clone(sig)
	bad[5] ^= 0x80
	if err := s.Unseal(pdu, pdu[4:], bad); !errors.Is(err, ErrBadSignature) {
		t.Errorf("bad seal sig: %v", err)
	}
	if !bytes.Equal(pdu, sealed) {
		t.Fatal("failed Unseal left data modified")
	}
	if err := s.Unseal(pdu, pdu[4:], sig); err != nil || string(pdu) != "hdr:sealed body" {
		t.Fatalf("Unseal after failure: %v %q", err, pdu)
	}
	if err := s.Verify(m0, sig[:15]); !errors.Is(err, ErrBadSignature) {
		t.Errorf("short sig: %v", err)
	}
}

func TestResetCrypto(t *testing.T) {
	c, s := newPair(t, alice, ServerConfig{})
	if err := handshake(t, c, s, nil); err != nil {
		t.Fatal(err)
	}
	// SPNEGO: mechListMIC each way at seq 0, then both re-key (MS-SPNG 3.2.5.1).
	mt := []byte("mechTypeList")
	mic, _ := c.GetMIC(mt)
	if err := s.VerifyMIC(mt, mic); err != nil {
		t.Fatal(err)
	}
	mic, _ = s.GetMIC(mt)
	if err := c.VerifyMIC(mt, mic); err != nil {
		t.Fatal(err)
	}
	c.ResetCrypto()
	s.ResetCrypto()
	pdu := []byte("request body")
	sig, _ := c.Seal(pdu, pdu)
	if seq := sig[12]; seq != 1 {
		t.Errorf("first request seq %d, want 1", seq)
	}
	if err := s.Unseal(pdu, pdu, sig); err != nil {
		t.Fatal(err)
	}
	// Only one side re-keying breaks the stream.
	c.ResetCrypto()
	sig, _ = c.Sign(pdu)
	if err := s.Verify(pdu, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("one-sided reset: %v", err)
	}
}

func TestLogonFailures(t *testing.T) {
	cases := []struct {
		name string
		cfg  ClientConfig
	}{
		{"wrong password", ClientConfig{User: "alice", Domain: "CORP", Password: "nope"}},
		{"unknown user", ClientConfig{User: "mallory", Domain: "CORP", Password: "Secret1!"}},
		{"wrong domain", ClientConfig{User: "alice", Domain: "OTHER", Password: "Secret1!"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newPair(t, tc.cfg, ServerConfig{})
			err := handshake(t, c, s, nil)
			if !errors.Is(err, ErrLogonFailure) {
				t.Fatalf("got %v, want exactly ErrLogonFailure", err)
			}
			if s.Peer().Authenticated() {
				t.Error("peer set")
			}
			if _, _, err := s.Step(context.Background(), nil); !errors.Is(err, ErrUnexpectedStep) {
				t.Errorf("step after failure: %v", err)
			}
		})
	}
	t.Run("any-domain account", func(t *testing.T) {
		c, s := newPair(t, ClientConfig{User: "BOB", Domain: "whatever", Password: "hunter2"}, ServerConfig{})
		if err := handshake(t, c, s, nil); err != nil {
			t.Fatal(err)
		}
		if p := s.Peer(); p.String() != `whatever\BOB` || p.Admin {
			t.Errorf("peer %v", p)
		}
	})
}

func TestTamperedMICInProcess(t *testing.T) {
	c, s := newPair(t, alice, ServerConfig{})
	err := handshake(t, c, s, func(b []byte) []byte { b[MICOffset] ^= 1; return b })
	if !errors.Is(err, ErrMICMismatch) {
		t.Fatalf("got %v", err)
	}
}

func TestSkewExceeded(t *testing.T) {
	calls := 0
	now := func() time.Time { // challenge at testNow, AUTHENTICATE 37 h later
		calls++
		if calls == 1 {
			return testNow
		}
		return testNow.Add(37 * time.Hour)
	}
	c, s := newPair(t, alice, ServerConfig{Now: now})
	if err := handshake(t, c, s, nil); !errors.Is(err, ErrTimeSkew) {
		t.Fatalf("got %v, want ErrTimeSkew", err)
	}
	calls = 0
	c, s = newPair(t, alice, ServerConfig{Now: now, MaxSkew: 38 * time.Hour})
	if err := handshake(t, c, s, nil); err != nil {
		t.Fatalf("within MaxSkew: %v", err)
	}
}

func TestReducedFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags NegotiateFlags
	}{
		{"56-bit", DefaultClientFlags &^ Negotiate128},
		{"40-bit", DefaultClientFlags &^ (Negotiate128 | Negotiate56)},
		{"no key exchange", DefaultClientFlags &^ NegotiateKeyExch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := alice
			cfg.Flags = tc.flags
			c, s := newPair(t, cfg, ServerConfig{})
			if err := handshake(t, c, s, nil); err != nil {
				t.Fatal(err)
			}
			if s.Flags() != c.Flags() {
				t.Fatalf("flags %v vs %v", s.Flags(), c.Flags())
			}
			exchange(t, c, s, 0)
			exchange(t, s, c, 0)
		})
	}
	t.Run("sign only", func(t *testing.T) {
		cfg := alice
		cfg.Flags = DefaultClientFlags &^ NegotiateSeal
		c, s := newPair(t, cfg, ServerConfig{})
		if err := handshake(t, c, s, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Seal([]byte("x"), nil); !errors.Is(err, ErrNotNegotiated) {
			t.Errorf("Seal without SEAL: %v", err)
		}
		sig, err := c.Sign([]byte("x"))
		if err != nil || s.Verify([]byte("x"), sig) != nil {
			t.Errorf("sign-only: %v", err)
		}
	})
}

func TestStepMisuse(t *testing.T) {
	c, s := newPair(t, alice, ServerConfig{})
	ctx := context.Background()
	if _, _, err := c.Step(ctx, []byte("x")); !errors.Is(err, ErrUnexpectedStep) {
		t.Errorf("client token first: %v", err)
	}
	if _, _, err := s.Step(ctx, specChallenge); !errors.Is(err, ErrMalformed) {
		t.Errorf("server given a CHALLENGE: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := NewClient(alice).Step(cctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := NewServer(ServerConfig{}); err == nil {
		t.Error("NewServer without Creds")
	}
}

func TestClientRefusesNoESS(t *testing.T) {
	c := NewClient(alice)
	ctx := context.Background()
	c.Step(ctx, nil)
	chal := &ChallengeMessage{Flags: NegotiateUnicode | NegotiateNTLM | NegotiateTargetInfo,
		TargetInfo: AvPairs{{AvNbComputerName, utf16le("X")}}}
	if _, _, err := c.Step(ctx, chal.Marshal()); !errors.Is(err, ErrESSRequired) {
		t.Errorf("got %v", err)
	}
}
