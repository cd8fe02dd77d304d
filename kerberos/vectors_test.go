package kerberos

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMSKILE45RC4WrapEx is [MS-KILE] 4.5: RC4 GSS_WrapEx of 15 bytes plus
// one byte of padding with a given confounder and sequence number. The
// signature there carries the RFC 2743 framing (DCE-Style == FALSE); the
// token after it is what DCE style sends bare.
func TestMSKILE45RC4WrapEx(t *testing.T) {
	var s Session
	if err := s.init(etypeID.RC4_HMAC, unhex(t, "81a2cb90af7fc2d19554a150d8185359"), true, false, 0, 0, nil); err != nil {
		t.Fatal(err)
	}
	data := unhex(t, "112233445566778899aabbccddeeff01")
	tok := s.rc4WrapWith(bytes.Clone(data), data, unhex(t, "5256f3fb630cf12a"), 0x60cbacd3, true)
	if want := unhex(t, "8ed63f0ac83815335b72e293bae1f660"); !bytes.Equal(data, want) {
		t.Errorf("data\n got %x\nwant %x", data, want)
	}
	wantSig := unhex(t, "603b06092a864886f71201020202011100 1000ffffe29e8bbc6348e740ebaa619244a156a13b5cf65e3c21b9aa")
	// wantSig is 60 3b, the OID, then the 32-byte token (the 0x3b covers
	// the data that follows in non-DCE style).
	if !bytes.Equal(tok, wantSig[13:]) {
		t.Errorf("token\n got %x\nwant %x", tok, wantSig[13:])
	}
	// And the acceptor side opens it.
	var r Session
	if err := r.init(etypeID.RC4_HMAC, unhex(t, "81a2cb90af7fc2d19554a150d8185359"), false, false, 0, 0x60cbacd3, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Unseal(nil, data, tok); err == nil {
		t.Fatal("unwrap with the wrong signed buffers succeeded")
	}
	if err := r.Unseal(data, data, tok); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, unhex(t, "112233445566778899aabbccddeeff01")) {
		t.Fatalf("unsealed %x", data)
	}
}

// TestMSKILE44AES128Key is [MS-KILE] 4.4: the AES128 key of a 0xffff
// password (as UTF-8) with salt DOMAIN.COMhostclient.domain.com and 1000
// iterations (gokrb5's RFC 3962 string-to-key).
func TestMSKILE44AES128Key(t *testing.T) {
	e, err := crypto.GetEtype(etypeID.AES128_CTS_HMAC_SHA1_96)
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.Repeat("\uffff", 120)
	key, err := e.StringToKey(pw, "DOMAIN.COMhostclient.domain.com", "000003e8")
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "b82ee122531c2d94821ac755bccb5879"); !bytes.Equal(key, want) {
		t.Fatalf("key %x, want %x", key, want)
	}
}

// TestMSKILE43WrapLayout is [MS-KILE] 4.3's order of operations (build,
// sign, encrypt, rotate by EC+RRC, split) checked independently: with the
// sign-only buffers empty, un-rotating signature|data must give an RFC
// 3961 ciphertext that gokrb5's DecryptMessage accepts for the
// initiator-seal usage, whose plaintext is data | filler(EC) | header
// with RRC 0.
func TestMSKILE43WrapLayout(t *testing.T) {
	for _, e := range etypes[:2] {
		t.Run(e.name, func(t *testing.T) {
			cli, _ := handshake(t, e.id, false)
			plain := stub(80)
			data := bytes.Clone(plain)
			tok, err := cli.Seal(data, data)
			if err != nil {
				t.Fatal(err)
			}
			hdr := tok[:16]
			if hdr[0] != 5 || hdr[1] != 4 || hdr[2] != flagSealed|flagAcceptorSubkey || hdr[3] != 0xff || hdr[5] != cfxEC || hdr[7] != cfxRRC {
				t.Fatalf("header %x", hdr)
			}
			rot := append(bytes.Clone(tok[16:]), data...)
			k := cfxEC + cfxRRC
			ct := append(bytes.Clone(rot[k:]), rot[:k]...)
			pt, err := crypto.DecryptMessage(ct, cli.Session.keyForTest(), usageInitiatorSeal)
			if err != nil {
				t.Fatal(err)
			}
			clear := bytes.Clone(hdr)
			clear[6], clear[7] = 0, 0
			want := append(append(bytes.Clone(plain), bytes.Repeat([]byte{0xff}, cfxEC)...), clear...)
			if !bytes.Equal(pt, want) {
				t.Fatalf("plaintext\n got %x\nwant %x", pt, want)
			}
		})
	}
}
