package spnego

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/ntlm"
)

var (
	_ Mech = (*ntlm.Client)(nil)
	_ Mech = (*ntlm.Server)(nil)
)

// ntlmPair returns real NTLM initiator and acceptor contexts for
// DOMAIN\User1 / Password1!.
func ntlmPair(t testing.TB, password string) (*ntlm.Client, *ntlm.Server) {
	t.Helper()
	c := ntlm.NewClient(ntlm.ClientConfig{User: "User1", Domain: "DOMAIN", Password: password, Workstation: "WIN10"})
	creds := ntlm.CredentialFunc(func(user, domain string) (ntlm.Account, bool) {
		if strings.EqualFold(user, "User1") {
			return ntlm.Account{NTHash: ntlm.NTHash("Password1!"), Admin: true}, true
		}
		return ntlm.Account{}, false
	})
	s, err := ntlm.NewServer(ntlm.ServerConfig{NetBIOSComputer: "DC1", NetBIOSDomain: "DOMAIN", DNSComputer: "dc1.domain.local", Creds: creds})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func TestNTLMHandshake(t *testing.T) {
	cm, sm := ntlmPair(t, "Password1!")
	c, s := NewClient(cm), NewServer(sm)
	legs := handshake(t, c, s)
	if len(legs) != 4 {
		t.Fatalf("%d legs, want 4", len(legs))
	}
	wantResp(t, legs[3], AcceptCompleted, false, nil, true)
	if p := s.Peer(); p.User != "User1" || p.Domain != "DOMAIN" || !p.Admin {
		t.Errorf("peer = %+v", p)
	}
	// After the mechListMIC exchange and reset the first PDUs use seq 1.
	for name, seq := range map[string][2]uint32{"client": seqs(cm.SeqNums()), "server": seqs(sm.SeqNums())} {
		if seq != [2]uint32{1, 1} {
			t.Errorf("%s seq (out, in) = %v, want (1, 1)", name, seq)
		}
	}
	exchange(t, c, s)
	msg := []byte("request 2")
	sig, _ := c.Sign(msg)
	if sig[12] != 2 || s.Verify(msg, sig) != nil {
		t.Errorf("second request sig %x", sig)
	}
}

func seqs(out, in uint32) [2]uint32 { return [2]uint32{out, in} }

func TestNTLMWrongPassword(t *testing.T) {
	cm, sm := ntlmPair(t, "wrong")
	c, s := NewClient(cm), NewServer(sm)
	ctx := context.Background()
	tok, _, _ := c.Step(ctx, nil)
	tok, _, _ = s.Step(ctx, tok)
	tok, _, _ = c.Step(ctx, tok)
	out, done, err := s.Step(ctx, tok)
	if err == nil || done {
		t.Fatal("wrong password accepted")
	}
	wantResp(t, out, Reject, false, nil, false)
	if _, _, err := c.Step(ctx, out); !errors.Is(err, ErrRejected) {
		t.Errorf("client err = %v", err)
	}
}

func TestNTLMWrongMechListMIC(t *testing.T) {
	cm, sm := ntlmPair(t, "Password1!")
	c, s := NewClient(cm), NewServer(sm)
	ctx := context.Background()
	tok, _, _ := c.Step(ctx, nil)
	tok, _, _ = s.Step(ctx, tok)
	tok, _, _ = c.Step(ctx, tok)
	r, err := DecodeResp(tok)
	if err != nil {
		t.Fatal(err)
	}
	r.MechListMIC[5] ^= 0x80
	tok, _ = r.Marshal()
	out, _, err := s.Step(ctx, tok)
	if !errors.Is(err, ErrBadMIC) {
		t.Fatalf("err = %v", err)
	}
	wantResp(t, out, Reject, false, nil, false)

	// Dropping the mechListMIC is refused too: the AUTHENTICATE has a MIC.
	cm, sm = ntlmPair(t, "Password1!")
	c, s = NewClient(cm), NewServer(sm)
	tok, _, _ = c.Step(ctx, nil)
	tok, _, _ = s.Step(ctx, tok)
	tok, _, _ = c.Step(ctx, tok)
	r, _ = DecodeResp(tok)
	r.MechListMIC = nil
	tok, _ = r.Marshal()
	if _, _, err := s.Step(ctx, tok); !errors.Is(err, ErrMICRequired) {
		t.Fatalf("stripped MIC: err = %v", err)
	}
}

// TestCaptureMechListMIC verifies both mechListMICs of the real Windows
// exchange with DOMAIN\User1 / Password1!, and recomputes them bit for bit.
func TestCaptureMechListMIC(t *testing.T) {
	toks := loadCapture(t)
	init1, _ := DecodeInit(toks[1])
	chal, _ := DecodeResp(toks[2])
	auth, _ := DecodeResp(toks[3])
	final, _ := DecodeResp(toks[4])
	hash := ntlm.NTHash("Password1!")

	srv, err := ntlm.SessionFromHandshake(chal.ResponseToken, auth.ResponseToken, hash, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.VerifyMIC(init1.RawMechTypes, auth.MechListMIC); err != nil {
		t.Fatalf("client mechListMIC: %v", err)
	}
	mic, err := srv.GetMIC(init1.RawMechTypes)
	if err != nil || !bytes.Equal(mic, final.MechListMIC) {
		t.Fatalf("server mechListMIC = %x, Windows sent %x (%v)", mic, final.MechListMIC, err)
	}

	cli, err := ntlm.SessionFromHandshake(chal.ResponseToken, auth.ResponseToken, hash, true)
	if err != nil {
		t.Fatal(err)
	}
	if mic, _ := cli.GetMIC(init1.RawMechTypes); !bytes.Equal(mic, auth.MechListMIC) {
		t.Fatalf("client mechListMIC = %x, Windows sent %x", mic, auth.MechListMIC)
	}
	if err := cli.VerifyMIC(init1.RawMechTypes, final.MechListMIC); err != nil {
		t.Fatalf("server mechListMIC: %v", err)
	}
	if _, err := ntlm.SessionFromHandshake(chal.ResponseToken, auth.ResponseToken, ntlm.NTHash("nope"), false); err == nil {
		t.Error("wrong password accepted")
	}
}

func BenchmarkHandshakeNTLM(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		cm, sm := ntlmPair(b, "Password1!")
		handshake(b, NewClient(cm), NewServer(sm))
	}
}
