package ntlm

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

// Values from [MS-NLMP] 4.2.1 and 4.2.4 (NTLMv2).
var (
	specUser      = "User"
	specDomain    = "Domain"
	specPassword  = "Password"
	specServerCh  = [8]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	specClientCh  = [8]byte{0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa}
	specRandomKey = [16]byte{0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55}
	specChalFlags = NegotiateFlags(0xe28a8233)
)

// unhex decodes hex, ignoring whitespace; it panics on bad input
// (test constants only).
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// 4.2.4.1.3 temp.
var specTemp = unhex(`01 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00
	aa aa aa aa aa aa aa aa 00 00 00 00
	02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
	01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00
	00 00 00 00 00 00 00 00`)

// 4.2.4.3 CHALLENGE_MESSAGE.
var specChallenge = unhex(`4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00
	38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef
	00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00
	06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00
	65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00
	69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00
	65 00 72 00 00 00 00 00`)

// 4.2.4.3 AUTHENTICATE_MESSAGE.
var specAuthenticate = unhex(`4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00
	6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00
	48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00
	5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2
	05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00
	69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00
	4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97
	ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa
	aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b
	eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00
	00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00
	02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
	01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00
	00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90
	94 ce 1c e9 0b c9 d0 3e`)

// 4.2.4.4 GSS_WrapEx.
var (
	specPlaintext = unhex("50 00 6c 00 61 00 69 00 6e 00 74 00 65 00 78 00 74 00")
	specSealed    = unhex("54 e5 01 65 bf 19 36 dc 99 60 20 c1 81 1b 0f 06 fb 5f")
	specSealSig   = unhex("01 00 00 00 7f b3 8e c5 c5 5d 49 76 00 00 00 00")
)

func eq(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", what, got, want)
	}
}

func TestSpecNTLMv2Calculations(t *testing.T) {
	key := NTOWFv2(NTHash(specPassword), specUser, specDomain)
	eq(t, "NTOWFv2 (4.2.4.1.1)", key[:], unhex("0c868a403bfd7a93a3001ef22ef02e3f"))

	pairs := AvPairs{{AvNbDomainName, utf16le("Domain")}, {AvNbComputerName, utf16le("Server")}}
	blob := ClientBlob(0, specClientCh, pairs.Marshal())
	eq(t, "temp (4.2.4.1.3)", blob, specTemp)

	resp, base := NTLMv2Response(key, specServerCh, blob)
	eq(t, "SessionBaseKey (4.2.4.1.2)", base[:], unhex("8de40ccadbc14a82f15cb0ad0de95ca3"))
	eq(t, "NTProofStr (4.2.4.2.2)", resp[:16], unhex("68cd0ab851e51c96aabc927bebef6a1c"))
	eq(t, "NtChallengeResponse tail", resp[16:], specTemp)

	eq(t, "LMv2 (4.2.4.2.1)", LMv2Response(key, specServerCh, specClientCh),
		unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"))
	esk := EncryptSessionKey(base, specRandomKey)
	eq(t, "EncryptedSessionKey (4.2.4.2.3)", esk[:], unhex("c5dad2544fc9799094ce1ce90bc9d03e"))
	back := EncryptSessionKey(base, esk)
	eq(t, "RC4K inverse", back[:], specRandomKey[:])
}

func TestSpecKeys(t *testing.T) {
	seal := SealKey(specChalFlags, specRandomKey, true)
	eq(t, "client SEALKEY (4.2.4.4)", seal[:], unhex("59f600973cc4960a25480a7c196e4c58"))
	sign := SignKey(specRandomKey, true)
	eq(t, "client SIGNKEY (4.2.4.4)", sign[:], unhex("4788dc861b4782f35d43fd98fe1a2d39"))
	eq(t, "checksum (4.2.4.4)", func() []byte { c := checksum(hmac.New(md5.New, sign[:]), 0, specPlaintext); return c[:] }(),
		unhex("70352851f2564309"))
	// 56- and 40-bit seal keys hash a 7- and 5-byte prefix (3.4.5.3).
	k56 := SealKey(Negotiate56, specRandomKey, true)
	k40 := SealKey(0, specRandomKey, true)
	if k56 == seal || k40 == seal || k56 == k40 {
		t.Errorf("seal keys for 128/56/40 bits not distinct: %x %x %x", seal, k56, k40)
	}
	if SealKey(Negotiate56|Negotiate128, specRandomKey, true) != seal {
		t.Error("128 must win over 56")
	}
}

func TestSpecGSSWrapEx(t *testing.T) {
	var s Session
	s.init(specChalFlags, specRandomKey, true)
	data := bytes.Clone(specPlaintext)
	sig, err := s.Seal(data, data)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "sealed data (4.2.4.4)", data, specSealed)
	eq(t, "signature (4.2.4.4)", sig, specSealSig)

	var peer Session
	peer.init(specChalFlags, specRandomKey, false)
	if err := peer.Unseal(data, data, sig); err != nil {
		t.Fatalf("Unseal of the spec vector: %v", err)
	}
	eq(t, "unsealed", data, specPlaintext)
}

func TestSpecMessagesParse(t *testing.T) {
	c, err := ParseChallenge(specChallenge)
	if err != nil {
		t.Fatal(err)
	}
	if c.Flags != specChalFlags || c.ServerChallenge != specServerCh || c.TargetName != "Server" {
		t.Errorf("challenge: %+v", c)
	}
	if c.TargetInfo.String(AvNbDomainName) != "Domain" || c.TargetInfo.String(AvNbComputerName) != "Server" {
		t.Errorf("target info: %+v", c.TargetInfo)
	}
	if c.Version == nil || *c.Version != (Version{6, 0, 6000, 15}) {
		t.Errorf("version %v", c.Version)
	}
	eq(t, "CHALLENGE re-marshal", c.Marshal(), specChallenge)

	a, err := ParseAuthenticate(specAuthenticate)
	if err != nil {
		t.Fatal(err)
	}
	if a.User != "User" || a.Domain != "Domain" || a.Workstation != "COMPUTER" || a.MIC != nil {
		t.Errorf("authenticate: %+v", a)
	}
	eq(t, "AUTHENTICATE re-marshal", a.Marshal(), specAuthenticate)
}

// TestSpecAuthenticateBuild builds the 4.2.4.3 AUTHENTICATE_MESSAGE from
// the computed values.
func TestSpecAuthenticateBuild(t *testing.T) {
	key := NTOWFv2(NTHash(specPassword), specUser, specDomain)
	nt, base := NTLMv2Response(key, specServerCh, specTemp)
	esk := EncryptSessionKey(base, specRandomKey)
	m := &AuthenticateMessage{
		LmChallengeResponse:       LMv2Response(key, specServerCh, specClientCh),
		NtChallengeResponse:       nt,
		Domain:                    specDomain,
		User:                      specUser,
		Workstation:               "COMPUTER",
		EncryptedRandomSessionKey: esk[:],
		Flags:                     0xe2888235,
		Version:                   &Version{5, 1, 2600, 15},
	}
	eq(t, "AUTHENTICATE (4.2.4.3)", m.Marshal(), specAuthenticate)
}

// TestSpecAcceptor runs the acceptor on the spec AUTHENTICATE_MESSAGE
// (its challenge fixed to the spec's) and unseals the spec GSS_WrapEx
// output with the resulting session.
func TestSpecAcceptor(t *testing.T) {
	uf := &UsersFile{}
	if err := uf.AddUser("user", "DOMAIN", NTHash(specPassword), true); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerConfig{
		Creds: uf, Rand: bytes.NewReader(specServerCh[:]), MaxSkew: -1,
		NetBIOSComputer: "SERVER", NetBIOSDomain: "DOMAIN",
	})
	if err != nil {
		t.Fatal(err)
	}
	neg := (&NegotiateMessage{Flags: 0xe2888235}).Marshal()
	ctx := context.Background()
	if _, done, err := srv.Step(ctx, neg); err != nil || done {
		t.Fatalf("NEGOTIATE: done=%v err=%v", done, err)
	}
	out, done, err := srv.Step(ctx, specAuthenticate)
	if err != nil || !done || out != nil {
		t.Fatalf("AUTHENTICATE: out=%x done=%v err=%v", out, done, err)
	}
	if p := srv.Peer(); p.User != "User" || p.Domain != "Domain" || !p.Admin {
		t.Errorf("peer %+v", p)
	}
	key, _ := srv.SessionKey()
	eq(t, "exported session key", key[:], specRandomKey[:])
	data := bytes.Clone(specSealed)
	if err := srv.Unseal(data, data, specSealSig); err != nil {
		t.Fatalf("Unseal: %v", err)
	}
	eq(t, "plaintext", data, specPlaintext)
}
