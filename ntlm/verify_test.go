package ntlm

import (
	"context"
	"errors"
	"testing"

	"github.com/iisctl/iisctl/rpc"
)

// TestCustomVerifier: a Verifier that knows the password (as a domain
// controller does) replaces the local users; it sees the logon as the
// client sent it, its SessionBaseKey keys the session (sealing works both
// ways), and its Peer is the one the acceptor reports. No Creds needed.
func TestCustomVerifier(t *testing.T) {
	var got Logon
	dc := VerifierFunc(func(ctx context.Context, l *Logon) (Verified, error) {
		got = *l
		nt := NTHash("Secret1!")
		key := NTOWFv2(nt, l.User, l.Domain)
		proof := NTProofStr(key, l.ServerChallenge, l.NtChallengeResponse[16:])
		if string(proof[:]) != string(l.NtChallengeResponse[:16]) {
			return Verified{}, errors.New("dc says no")
		}
		return Verified{SessionBaseKey: hmacMD5(key[:], proof[:]), Peer: rpc.Peer{User: "alice", Domain: "CORP", Admin: true}}, nil
	})
	c, s := newPair(t, alice, ServerConfig{Verifier: dc, Creds: CredentialFunc(func(string, string) (Account, bool) {
		t.Error("the local credentials were consulted")
		return Account{}, false
	}), RequireMIC: true})
	if err := handshake(t, c, s, nil); err != nil {
		t.Fatal(err)
	}
	if got.User != "Alice" || got.Domain != "corp" || got.Workstation != "WS1" || len(got.NtChallengeResponse) <= 24 {
		t.Errorf("verifier saw %+v", got)
	}
	if p := s.Peer(); p != (rpc.Peer{User: "alice", Domain: "CORP", Admin: true}) {
		t.Errorf("peer %+v", p)
	}
	exchange(t, c, s, 0)
	exchange(t, s, c, 0)

	// A refusal from the verifier fails the handshake with its error.
	wrong := alice
	wrong.Password = "nope"
	c, s = newPair(t, wrong, ServerConfig{Verifier: dc})
	if err := handshake(t, c, s, nil); err == nil || err.Error() != "dc says no" {
		t.Errorf("refused logon: %v", err)
	}
	// A verifier whose key is wrong cannot make a session: the MIC fails.
	bad := VerifierFunc(func(ctx context.Context, l *Logon) (Verified, error) {
		return Verified{Peer: rpc.Peer{User: "x"}}, nil
	})
	c, s = newPair(t, alice, ServerConfig{Verifier: bad})
	if err := handshake(t, c, s, nil); !errors.Is(err, ErrMICMismatch) {
		t.Errorf("wrong session key: %v", err)
	}
	if _, err := NewServer(ServerConfig{}); err == nil {
		t.Error("NewServer without Creds or Verifier")
	}
}
