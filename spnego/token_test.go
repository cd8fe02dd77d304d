package spnego

import (
	"bytes"
	"encoding/asn1"
	"strings"
	"testing"
)

func TestSpecNegTokenInit2(t *testing.T) {
	raw := mustHex(t, specNegTokenInit2)
	init, err := DecodeInit(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []asn1.ObjectIdentifier{OIDNegoEx, OIDNTLMSSP}
	if !equalOIDs(init.MechTypes, want) {
		t.Errorf("mechTypes = %v, want %v", init.MechTypes, want)
	}
	if len(init.MechToken) != 0xfe || !bytes.HasPrefix(init.MechToken, []byte("NEGOEXTS")) {
		t.Errorf("mechToken: %d bytes %q", len(init.MechToken), init.MechToken[:8])
	}
	if init.NegHints == nil || string(init.NegHints.HintName) != "not_defined_in_RFC4178@please_ignore" || init.NegHints.HintAddress != nil {
		t.Errorf("negHints = %+v", init.NegHints)
	}
	if init.ReqFlags != nil || init.MechListMIC != nil {
		t.Errorf("unexpected reqFlags/mechListMIC")
	}
	if !bytes.Equal(init.RawMechTypes, raw[0x16:0x16+0x1a]) {
		t.Errorf("RawMechTypes = %x", init.RawMechTypes)
	}
	reencode(t, raw, init)
}

// reencode checks that Marshal reproduces raw exactly.
func reencode(t *testing.T, raw []byte, tok interface{ Marshal() ([]byte, error) }) {
	t.Helper()
	got, err := tok.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, raw) {
		t.Errorf("re-encode differs:\n got %x\nwant %x", got, raw)
	}
}

func equalOIDs(a, b []asn1.ObjectIdentifier) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func TestCaptureTokensRoundTrip(t *testing.T) {
	toks := loadCapture(t)
	init0, err := DecodeInit(toks[0])
	if err != nil {
		t.Fatal("tok0:", err)
	}
	wantMechs := []asn1.ObjectIdentifier{OIDNegoEx, OIDMSKerberos, OIDKerberos, OIDKerberosU2U, OIDNTLMSSP}
	if !equalOIDs(init0.MechTypes, wantMechs) || init0.NegHints == nil || init0.MechToken != nil {
		t.Errorf("tok0 = %+v", init0)
	}
	reencode(t, toks[0], init0)

	init1, err := DecodeInit(toks[1])
	if err != nil {
		t.Fatal("tok1:", err)
	}
	if !equalOIDs(init1.MechTypes, []asn1.ObjectIdentifier{OIDNTLMSSP}) || !bytes.HasPrefix(init1.MechToken, []byte("NTLMSSP\x00\x01")) {
		t.Errorf("tok1 = %+v", init1)
	}
	if want := mustHex(t, "300c060a2b06010401823702020a"); !bytes.Equal(init1.RawMechTypes, want) {
		t.Errorf("tok1 RawMechTypes = %x", init1.RawMechTypes)
	}
	reencode(t, toks[1], init1)

	checkResp(t, toks[2], AcceptIncomplete, true, "NTLMSSP\x00\x02", false)
	checkResp(t, toks[3], AcceptIncomplete, false, "NTLMSSP\x00\x03", true)
	checkResp(t, toks[4], AcceptCompleted, false, "", true)
}

// checkResp decodes a NegTokenResp, checks its fields and re-encodes it.
func checkResp(t *testing.T, raw []byte, st NegState, mech bool, tokPrefix string, mic bool) {
	t.Helper()
	r, err := DecodeResp(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r.NegState != st || (r.SupportedMech != nil) != mech || (r.MechListMIC != nil) != mic {
		t.Errorf("resp = %+v", r)
	}
	if mech && !r.SupportedMech.Equal(OIDNTLMSSP) {
		t.Errorf("supportedMech = %v", r.SupportedMech)
	}
	if tokPrefix == "" && r.ResponseToken != nil || !strings.HasPrefix(string(r.ResponseToken), tokPrefix) {
		t.Errorf("responseToken = %x", r.ResponseToken)
	}
	if mic && len(r.MechListMIC) != 16 {
		t.Errorf("mechListMIC = %x", r.MechListMIC)
	}
	reencode(t, raw, r)
}

func TestDecodeDispatch(t *testing.T) {
	raw := mustHex(t, specNegTokenInit2)
	if i, r, err := Decode(raw); err != nil || i == nil || r != nil {
		t.Errorf("Decode(init) = %v, %v, %v", i, r, err)
	}
	resp := mustHex(t, "a1073005a0030a0102")
	if i, r, err := Decode(resp); err != nil || i != nil || r == nil || r.NegState != Reject {
		t.Errorf("Decode(resp) = %v, %v, %v", i, r, err)
	}
	if _, _, err := Decode([]byte("NTLMSSP\x00")); err == nil {
		t.Error("raw NTLMSSP decoded as SPNEGO")
	}
}

func TestInitRFC4178MICTag3(t *testing.T) {
	in := &NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDNTLMSSP}, ReqFlags: []byte{0x00}, MechToken: []byte{}, MechListMIC: []byte{1, 2}}
	raw, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte{0xa3, 0x04, 0x04, 0x02, 1, 2}) {
		t.Fatalf("mechListMIC not at [3]: %x", raw)
	}
	out, err := DecodeInit(raw)
	if err != nil {
		t.Fatal(err)
	}
	if out.NegHints != nil || !bytes.Equal(out.MechListMIC, []byte{1, 2}) || out.MechToken == nil || len(out.MechToken) != 0 || !bytes.Equal(out.ReqFlags, []byte{0}) {
		t.Errorf("decoded %+v", out)
	}
	reencode(t, raw, out)
}

func TestNegStateString(t *testing.T) {
	for s, want := range map[NegState]string{NoNegState: "absent", AcceptCompleted: "accept-completed", AcceptIncomplete: "accept-incomplete", Reject: "reject", RequestMIC: "request-mic", 9: "negState(9)"} {
		if s.String() != want {
			t.Errorf("%d: %q", int(s), s.String())
		}
	}
}

func TestLongLengths(t *testing.T) {
	r := &NegTokenResp{NegState: NoNegState, ResponseToken: bytes.Repeat([]byte{7}, 70000)}
	raw, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeResp(raw)
	if err != nil || !bytes.Equal(got.ResponseToken, r.ResponseToken) || got.NegState != NoNegState {
		t.Fatalf("round trip: %v", err)
	}
}

func TestMarshalBadOID(t *testing.T) {
	for _, oid := range []asn1.ObjectIdentifier{{1}, {3, 1}, {1, 40}, {1, 2, -1}} {
		if _, err := (&NegTokenResp{NegState: NoNegState, SupportedMech: oid}).Marshal(); err == nil {
			t.Errorf("%v accepted", oid)
		}
		if _, err := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{oid}}).Marshal(); err == nil {
			t.Errorf("%v accepted in mechTypes", oid)
		}
	}
}

func TestOIDRoundTrip(t *testing.T) {
	for _, oid := range []asn1.ObjectIdentifier{OIDSPNEGO, OIDNTLMSSP, OIDKerberos, OIDMSKerberos, OIDKerberosU2U, OIDNegoEx, {2, 999, 1 << 30}, {0, 0}} {
		b, err := appendOID(nil, oid)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseOID(b[2:])
		if err != nil || !got.Equal(oid) {
			t.Errorf("%v -> %x -> %v, %v", oid, b, got, err)
		}
	}
}
