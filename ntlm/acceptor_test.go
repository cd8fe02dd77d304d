package ntlm

import (
	"context"
	"errors"
	"testing"
)

// serverChallenge drives a fresh acceptor to its CHALLENGE.
func serverChallenge(t *testing.T, negFlags NegotiateFlags) (*Server, *ChallengeMessage, error) {
	t.Helper()
	_, s := newPair(t, alice, ServerConfig{})
	out, _, err := s.Step(context.Background(), (&NegotiateMessage{Flags: negFlags}).Marshal())
	if err != nil {
		return s, nil, err
	}
	chal, err := ParseChallenge(out)
	if err != nil {
		t.Fatal(err)
	}
	return s, chal, nil
}

// craftAuth builds an NTLMv2 AUTHENTICATE for the challenge with the
// NTOWFv2 computed over hashDomain while sending sentDomain.
func craftAuth(chal *ChallengeMessage, user, sentDomain, hashDomain, password string) *AuthenticateMessage {
	key := NTOWFv2(NTHash(password), user, hashDomain)
	ts, _ := chal.TargetInfo.Timestamp()
	nt, _ := NTLMv2Response(key, chal.ServerChallenge, ClientBlob(ts, [8]byte{9}, chal.TargetInfo.Marshal()))
	return &AuthenticateMessage{
		LmChallengeResponse: make([]byte, 24), NtChallengeResponse: nt,
		User: user, Domain: sentDomain, Flags: chal.Flags &^ NegotiateKeyExch,
	}
}

func TestAcceptorCrafted(t *testing.T) {
	ctx := context.Background()
	t.Run("empty-domain retry", func(t *testing.T) {
		s, chal, _ := serverChallenge(t, DefaultClientFlags)
		auth := craftAuth(chal, "alice", "CORP", "", "Secret1!")
		if _, done, err := s.Step(ctx, auth.Marshal()); err != nil || !done {
			t.Fatalf("done=%v err=%v", done, err)
		}
		if s.MICPresent() {
			t.Error("no MIC was sent")
		}
	})
	t.Run("MIC field laid out but not announced", func(t *testing.T) {
		s, chal, _ := serverChallenge(t, DefaultClientFlags)
		auth := craftAuth(chal, "alice", "CORP", "", "Secret1!")
		auth.Flags |= NegotiateVersion
		auth.Version, auth.MIC = &DefaultVersion, make([]byte, 16)
		if _, _, err := s.Step(ctx, auth.Marshal()); !errors.Is(err, ErrMICRequired) {
			t.Fatalf("a Windows-shaped AUTHENTICATE without the MIC bit: %v", err)
		}
	})
	t.Run("NTLMv1 refused", func(t *testing.T) {
		s, chal, _ := serverChallenge(t, DefaultClientFlags)
		auth := craftAuth(chal, "alice", "CORP", "CORP", "Secret1!")
		auth.NtChallengeResponse = auth.NtChallengeResponse[:24]
		if _, _, err := s.Step(ctx, auth.Marshal()); !errors.Is(err, ErrNTLMv1Refused) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("LM only refused", func(t *testing.T) {
		s, chal, _ := serverChallenge(t, DefaultClientFlags)
		auth := craftAuth(chal, "alice", "CORP", "CORP", "Secret1!")
		auth.NtChallengeResponse = nil
		if _, _, err := s.Step(ctx, auth.Marshal()); !errors.Is(err, ErrNTLMv1Refused) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("anonymous refused", func(t *testing.T) {
		s, _, _ := serverChallenge(t, DefaultClientFlags)
		auth := &AuthenticateMessage{Flags: DefaultClientFlags, LmChallengeResponse: []byte{0}}
		if _, _, err := s.Step(ctx, auth.Marshal()); !errors.Is(err, ErrAnonymousRefused) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ESS dropped in AUTHENTICATE", func(t *testing.T) {
		s, chal, _ := serverChallenge(t, DefaultClientFlags)
		auth := craftAuth(chal, "alice", "CORP", "CORP", "Secret1!")
		auth.Flags &^= NegotiateExtendedSessionSecurity
		if _, _, err := s.Step(ctx, auth.Marshal()); !errors.Is(err, ErrESSRequired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no ESS in NEGOTIATE", func(t *testing.T) {
		if _, _, err := serverChallenge(t, DefaultClientFlags&^NegotiateExtendedSessionSecurity); !errors.Is(err, ErrESSRequired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no charset", func(t *testing.T) {
		if _, _, err := serverChallenge(t, NegotiateExtendedSessionSecurity); !errors.Is(err, ErrMalformed) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("MIC required", func(t *testing.T) {
		_, s := newPair(t, alice, ServerConfig{RequireMIC: true})
		out, _, _ := s.Step(ctx, (&NegotiateMessage{Flags: DefaultClientFlags}).Marshal())
		chal, _ := ParseChallenge(out)
		auth := craftAuth(chal, "alice", "CORP", "CORP", "Secret1!")
		if _, _, err := s.Step(ctx, auth.Marshal()); !errors.Is(err, ErrMICRequired) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("KEY_EXCH without key", func(t *testing.T) {
		s, chal, _ := serverChallenge(t, DefaultClientFlags)
		auth := craftAuth(chal, "alice", "CORP", "CORP", "Secret1!")
		auth.Flags |= NegotiateKeyExch
		if _, _, err := s.Step(ctx, auth.Marshal()); !errors.Is(err, ErrMalformed) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestChallengeContents(t *testing.T) {
	_, chal, err := serverChallenge(t, DefaultClientFlags)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []AvID{AvNbComputerName, AvNbDomainName, AvDNSComputerName, AvDNSDomainName, AvTimestamp} {
		if _, ok := chal.TargetInfo.Get(id); !ok {
			t.Errorf("AV pair %d missing", id)
		}
	}
	if ts, _ := chal.TargetInfo.Timestamp(); !FiletimeToTime(ts).Equal(testNow) {
		t.Errorf("timestamp %v", FiletimeToTime(ts))
	}
	if chal.TargetInfo.String(AvDNSDomainName) != "corp.example" || chal.TargetName != "IISHOST" {
		t.Errorf("names: %q %q", chal.TargetInfo.String(AvDNSDomainName), chal.TargetName)
	}
	want := DefaultClientFlags | NegotiateTargetInfo | TargetTypeServer
	if chal.Flags != want || uint32(want) != 0xE28A8235 {
		t.Errorf("flags %#x (%v), want 0xE28A8235", uint32(chal.Flags), chal.Flags)
	}
}

func TestFactories(t *testing.T) {
	if sc, err := (Acceptor{}).NewServerContext(); err == nil || sc != nil {
		t.Errorf("Acceptor without Creds: %v %v", sc, err)
	}
	sc, err := Acceptor{ServerConfig{Creds: testUsers(t)}}.NewServerContext()
	if err != nil || sc == nil {
		t.Fatal(err)
	}
	cc, _ := Initiator{alice}.NewClientContext()
	ctx := context.Background()
	neg, _, _ := cc.Step(ctx, nil)
	chal, _, err := sc.Step(ctx, neg)
	if err != nil {
		t.Fatal(err)
	}
	auth, _, _ := cc.Step(ctx, chal)
	if _, done, err := sc.Step(ctx, auth); err != nil || !done || !sc.Peer().Admin {
		t.Fatalf("done=%v err=%v peer=%v", done, err, sc.Peer())
	}
}

func TestLookupPrefersExactDomain(t *testing.T) {
	uf := &UsersFile{}
	uf.AddUser("carol", "", NTHash("a"), false)
	uf.AddUser("carol", "CORP", NTHash("b"), true)
	if a, _ := uf.Lookup("carol", "corp"); !a.Admin || a.NTHash != NTHash("b") {
		t.Error("exact-domain entry not preferred")
	}
	if a, _ := uf.Lookup("carol", "x"); a.Admin || a.NTHash != NTHash("a") {
		t.Error("any-domain fallback")
	}
}
