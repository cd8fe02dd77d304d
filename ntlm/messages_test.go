package ntlm

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecodersRejectHostile(t *testing.T) {
	auth := bytes.Clone(specAuthenticate)
	auth[0x14] = 0xff // NtChallengeResponse offset far past the end
	longLen := bytes.Clone(specChallenge)
	longLen[0x28] = 0xff // TargetInfo length beyond the message
	oddName := bytes.Clone(specChallenge)
	oddName[0x0c] = 0x0b // 11-byte UTF-16 target name
	badAV := bytes.Clone(specChallenge)
	badAV[len(badAV)-4] = 5 // EOL replaced: list never terminates
	cases := []struct {
		name  string
		parse func([]byte) error
		in    []byte
	}{
		{"empty", parseN, nil},
		{"short negotiate", parseN, []byte("NTLMSSP\x00\x01\x00\x00")},
		{"bad signature", parseN, []byte("NTLMSSQ\x00\x01\x00\x00\x00\x00\x00\x00\x00")},
		{"wrong type", parseC, specAuthenticate},
		{"short challenge", parseC, specChallenge[:47]},
		{"challenge field range", parseC, longLen},
		{"odd UTF-16", parseC, oddName},
		{"unterminated AV list", parseC, badAV},
		{"auth field offset", parseA, auth},
		{"short auth", parseA, specAuthenticate[:63]},
	}
	for _, tc := range cases {
		if err := tc.parse(tc.in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", tc.name, err)
		}
	}
}

func parseN(b []byte) error { _, err := ParseNegotiate(b); return err }
func parseC(b []byte) error { _, err := ParseChallenge(b); return err }
func parseA(b []byte) error { _, err := ParseAuthenticate(b); return err }

func TestNegotiateRoundTrip(t *testing.T) {
	m := &NegotiateMessage{
		Flags:  DefaultClientFlags | NegotiateOEMDomainSupplied | NegotiateOEMWorkstationSupplied,
		Domain: "CORP", Workstation: "WS1", Version: &DefaultVersion,
	}
	b := m.Marshal()
	got, err := ParseNegotiate(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Flags != m.Flags || got.Domain != "CORP" || got.Workstation != "WS1" || *got.Version != DefaultVersion {
		t.Errorf("%+v", got)
	}
	// A bare 16-byte NEGOTIATE (old clients) parses.
	if got, err := ParseNegotiate(b[:16]); err != nil || got.Flags != m.Flags {
		t.Errorf("16-byte form: %+v %v", got, err)
	}
	if uint32(DefaultClientFlags) != 0xE2088235 {
		t.Errorf("DefaultClientFlags %#x", uint32(DefaultClientFlags))
	}
	if s := (NegotiateUnicode | NegotiateSeal | 0x400).String(); s != "UNICODE|SEAL|0x400" {
		t.Errorf("String: %s", s)
	}
}

func TestFiletime(t *testing.T) {
	if ft := Filetime(testNow); !FiletimeToTime(ft).Equal(testNow) {
		t.Errorf("%v", FiletimeToTime(ft))
	}
	if Filetime(FiletimeToTime(0)) != 0 {
		t.Error("epoch")
	}
}
