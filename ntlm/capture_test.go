package ntlm

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/capture"
)

// realExchange is the scapy-derived Windows exchange (GPL data, read in
// place from ../shared/captures, never copied; see its README).
const realExchange = "ntlm_spnego_real-exchange_DOMAIN-User1_pw-known.hex"

// ntlmIn finds the NTLMSSP message inside a SPNEGO token: it starts at
// the signature and spans the enclosing DER OCTET STRING.
func ntlmIn(t *testing.T, tok []byte) []byte {
	t.Helper()
	i := bytes.Index(tok, []byte("NTLMSSP\x00"))
	switch {
	case i >= 2 && tok[i-2] == 0x04 && tok[i-1] < 0x80:
		return tok[i : i+int(tok[i-1])]
	case i >= 3 && tok[i-3] == 0x04 && tok[i-2] == 0x81:
		return tok[i : i+int(tok[i-1])]
	case i >= 4 && tok[i-4] == 0x04 && tok[i-3] == 0x82:
		return tok[i : i+(int(tok[i-2])<<8|int(tok[i-1]))]
	}
	t.Fatalf("no NTLMSSP OCTET STRING in %x", tok)
	return nil
}

// mechListMICIn returns the 16-byte NTLM signature in a NegTokenResp's
// mechListMIC ([3] OCTET STRING of 16 bytes: a3 12 04 10 ...).
func mechListMICIn(t *testing.T, tok []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(tok, []byte{0xa3, 0x12, 0x04, 0x10, 0x01, 0, 0, 0})
	if i < 0 || i+4+16 > len(tok) {
		t.Fatalf("no mechListMIC in %x", tok)
	}
	return tok[i+4 : i+20]
}

// mechTypeListDER is the DER MechTypeList of tok1 (NTLMSSP only):
// SEQUENCE { OID 1.3.6.1.4.1.311.2.2.10 }.
var mechTypeListDER = unhex("300c060a2b06010401823702020a")

func TestRealWindowsExchange(t *testing.T) {
	toks := capture.OpenHex(t, realExchange)
	neg, chalMsg, authMsg := ntlmIn(t, toks["tok1"]), ntlmIn(t, toks["tok2"]), ntlmIn(t, toks["tok3"])
	if !bytes.Contains(toks["tok1"], mechTypeListDER) {
		t.Fatal("tok1 does not hold the expected MechTypeList")
	}
	chal, err := ParseChallenge(chalMsg)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ParseAuthenticate(authMsg)
	if err != nil {
		t.Fatal(err)
	}
	if auth.User != "User1" || auth.Domain != "DOMAIN" || auth.MIC == nil {
		t.Fatalf("AUTHENTICATE user=%q domain=%q mic=%x", auth.User, auth.Domain, auth.MIC)
	}
	blob, err := parseNTLMv2(auth.NtChallengeResponse)
	if err != nil {
		t.Fatal(err)
	}
	key := NTOWFv2(NTHash("Password1!"), "User1", "DOMAIN")
	proof := NTProofStr(key, chal.ServerChallenge, blob.temp)
	eq(t, "NTProofStr", proof[:], blob.proof)
	if blob.pairs.Flags()&AvFlagMICPresent == 0 || blob.pairs.String(AvTargetName) != "cifs/192.168.0.100" {
		t.Errorf("client AV pairs: flags %#x target %q", blob.pairs.Flags(), blob.pairs.String(AvTargetName))
	}

	// The acceptor itself, with its challenge state set to the recorded one.
	ts, _ := chal.TargetInfo.Timestamp()
	srv := recordedServer(t, neg, chalMsg, chal, "Password1!", ts)
	out, done, err := srv.Step(context.Background(), authMsg)
	if err != nil || !done || out != nil {
		t.Fatalf("acceptor on the real AUTHENTICATE: out=%x done=%v err=%v", out, done, err)
	}
	if !srv.MICPresent() || srv.Peer().String() != `DOMAIN\User1` {
		t.Errorf("MICPresent=%v peer=%v", srv.MICPresent(), srv.Peer())
	}
	// SPNEGO mechListMIC: the client's at seq 0, then the server's.
	if err := srv.VerifyMIC(mechTypeListDER, mechListMICIn(t, toks["tok3"])); err != nil {
		t.Errorf("client mechListMIC: %v", err)
	}
	mic, err := srv.GetMIC(mechTypeListDER)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "server mechListMIC (tok4)", mic, mechListMICIn(t, toks["tok4"]))

	// The offline helper reproduces the client's side.
	cs, err := SessionFromHandshake(chalMsg, authMsg, NTHash("Password1!"), true)
	if err != nil {
		t.Fatal(err)
	}
	cmic, _ := cs.GetMIC(mechTypeListDER)
	eq(t, "client mechListMIC (tok3)", cmic, mechListMICIn(t, toks["tok3"]))
	if _, err := SessionFromHandshake(chalMsg, authMsg, NTHash("wrong"), true); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("wrong password: %v", err)
	}

	t.Run("tampered MIC", func(t *testing.T) {
		bad := bytes.Clone(authMsg)
		bad[MICOffset+3] ^= 1
		srv := recordedServer(t, neg, chalMsg, chal, "Password1!", ts)
		if _, _, err := srv.Step(context.Background(), bad); !errors.Is(err, ErrMICMismatch) {
			t.Errorf("got %v, want ErrMICMismatch", err)
		}
		if srv.Peer().Authenticated() {
			t.Error("peer set after failure")
		}
	})
	t.Run("tampered NEGOTIATE", func(t *testing.T) {
		bad := bytes.Clone(neg)
		bad[len(bad)-1] ^= 1 // version byte: only the MIC covers it
		srv := recordedServer(t, bad, chalMsg, chal, "Password1!", ts)
		if _, _, err := srv.Step(context.Background(), authMsg); !errors.Is(err, ErrMICMismatch) {
			t.Errorf("got %v, want ErrMICMismatch", err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := recordedServer(t, neg, chalMsg, chal, "Password2!", ts)
		if _, _, err := srv.Step(context.Background(), authMsg); !errors.Is(err, ErrLogonFailure) {
			t.Errorf("got %v, want ErrLogonFailure", err)
		}
	})
	t.Run("skew", func(t *testing.T) {
		srv := recordedServer(t, neg, chalMsg, chal, "Password1!", ts+uint64(37*time.Hour/100))
		if _, _, err := srv.Step(context.Background(), authMsg); !errors.Is(err, ErrTimeSkew) {
			t.Errorf("got %v, want ErrTimeSkew", err)
		}
	})
}

// recordedServer returns an acceptor waiting for AUTHENTICATE whose
// NEGOTIATE and CHALLENGE are the recorded ones, its clock at now.
func recordedServer(t *testing.T, neg, chalMsg []byte, chal *ChallengeMessage, password string, now uint64) *Server {
	t.Helper()
	uf := &UsersFile{}
	if err := uf.AddUser("user1", "", NTHash(password), false); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{Creds: uf, RequireMIC: true, Now: func() time.Time { return FiletimeToTime(now) }})
	if err != nil {
		t.Fatal(err)
	}
	srv.negotiate, srv.challenge, srv.chal = neg, chalMsg, *chal
	srv.state = serverWaitAuthenticate
	return srv
}
