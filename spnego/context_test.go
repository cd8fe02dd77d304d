package spnego

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"testing"
)

// handshake runs client and server to completion and returns the legs.
func handshake(t testing.TB, c, s interface {
	Step(context.Context, []byte) ([]byte, bool, error)
}) [][]byte {
	t.Helper()
	ctx := context.Background()
	var legs [][]byte
	tok, _, err := c.Step(ctx, nil)
	for i := 0; i < 6 && err == nil; i++ {
		legs = append(legs, tok)
		var cdone, sdone bool
		if tok, sdone, err = s.Step(ctx, tok); err != nil {
			t.Fatalf("server leg %d: %v", len(legs), err)
		}
		legs = append(legs, tok)
		if tok, cdone, err = c.Step(ctx, tok); err != nil {
			t.Fatalf("client leg %d: %v", len(legs), err)
		}
		if cdone && sdone {
			if tok != nil {
				t.Fatalf("client done with a token")
			}
			return legs
		}
	}
	t.Fatalf("no completion: %v", err)
	return nil
}

func TestFakeHandshake(t *testing.T) {
	cm, sm := newFakeMech(true), newFakeMech(false)
	c, s := NewClient(cm), NewServer(sm)
	legs := handshake(t, c, s)
	if len(legs) != 4 {
		t.Fatalf("%d legs, want 4 (no auth3)", len(legs))
	}
	init, err := DecodeInit(legs[0])
	if err != nil || !equalOIDs(init.MechTypes, []asn1.ObjectIdentifier{OIDNTLMSSP}) || !bytes.Equal(init.MechToken, ntlmMsg(1)) {
		t.Fatalf("leg 1: %+v %v", init, err)
	}
	wantResp(t, legs[1], AcceptIncomplete, true, ntlmMsg(2), false)
	wantResp(t, legs[2], AcceptIncomplete, false, ntlmMsg(3), true)
	wantResp(t, legs[3], AcceptCompleted, false, nil, true)
	for _, m := range []*fakeMech{cm, sm} {
		if m.out.seq != 1 || m.in.seq != 1 || m.out.rc4 != 0 || m.in.rc4 != 0 || m.resets != 1 {
			t.Errorf("client=%v after handshake: %+v", m.client, m)
		}
	}
	exchange(t, c, s)
	if s.Peer().String() != `d\u` {
		t.Errorf("peer %v", s.Peer())
	}
}

// exchange signs and seals one request and one response.
func exchange(t *testing.T, c, s Mech2) {
	t.Helper()
	msg := []byte("header+body+trailer")
	sig, err := c.Sign(msg)
	if err != nil || s.Verify(msg, sig) != nil {
		t.Fatalf("sign: %v", err)
	}
	data := append([]byte{}, msg...)
	sig, err = s.Seal(data, data[7:11])
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Unseal(data, data[7:11], sig); err != nil || !bytes.Equal(data, msg) {
		t.Fatalf("unseal: %v %q", err, data)
	}
	if c.SignatureSize() != 16 {
		t.Errorf("SignatureSize = %d", c.SignatureSize())
	}
}

// Mech2 is the per-message half of rpc.SecurityContext.
type Mech2 interface {
	SignatureSize() int
	Sign(msg []byte) ([]byte, error)
	Verify(msg, sig []byte) error
	Seal(msg, data []byte) ([]byte, error)
	Unseal(msg, data, sig []byte) error
}

// wantResp checks a NegTokenResp; tok nil means absent.
func wantResp(t *testing.T, raw []byte, st NegState, mech bool, tok []byte, mic bool) {
	t.Helper()
	r, err := DecodeResp(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r.NegState != st || (r.SupportedMech != nil) != mech || !bytes.Equal(r.ResponseToken, tok) || (tok == nil) != (r.ResponseToken == nil) || (r.MechListMIC != nil) != mic {
		t.Errorf("resp = %+v", r)
	}
	if mech && !r.SupportedMech.Equal(OIDNTLMSSP) {
		t.Errorf("supportedMech %v", r.SupportedMech)
	}
}

// clientInit builds a NegTokenInit as another client would.
func clientInit(t *testing.T, mechs []asn1.ObjectIdentifier, tok, mic []byte) []byte {
	t.Helper()
	b, err := (&NegTokenInit{MechTypes: mechs, MechToken: tok, MechListMIC: mic}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clientResp builds a NegTokenResp as a client would.
func clientResp(t *testing.T, tok, mic []byte) []byte {
	t.Helper()
	b, err := (&NegTokenResp{NegState: AcceptIncomplete, ResponseToken: tok, MechListMIC: mic}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKerberosFirstGetsNTLM(t *testing.T) {
	for _, first := range []asn1.ObjectIdentifier{OIDMSKerberos, OIDKerberos, OIDNegoEx} {
		sm := newFakeMech(false)
		s := NewServer(sm)
		mechs := []asn1.ObjectIdentifier{first, OIDNTLMSSP}
		out, done, err := s.Step(context.Background(), clientInit(t, mechs, []byte("krb-ap-req"), nil))
		if err != nil || done {
			t.Fatal(err)
		}
		wantResp(t, out, AcceptIncomplete, true, nil, false)
		if sm.step != 0 {
			t.Fatal("optimistic non-NTLM token reached the NTLM mech")
		}
		// The next token carries NEGOTIATE, then AUTHENTICATE + MIC.
		out, _, err = s.Step(context.Background(), clientResp(t, ntlmMsg(1), nil))
		if err != nil {
			t.Fatal(err)
		}
		wantResp(t, out, AcceptIncomplete, false, ntlmMsg(2), false)
		list, _ := MechTypeList(mechs)
		cm := newFakeMech(true)
		mic, _ := cm.GetMIC(list)
		out, done, err = s.Step(context.Background(), clientResp(t, ntlmMsg(3), mic))
		if err != nil || !done {
			t.Fatal(err)
		}
		wantResp(t, out, AcceptCompleted, false, nil, true)
		r, _ := DecodeResp(out)
		if cm.VerifyMIC(list, r.MechListMIC) != nil {
			t.Error("server MIC does not verify over the client's list")
		}
	}
}

// serverAt drives a fresh server up to the AUTHENTICATE leg.
func serverAt(t *testing.T, mechs []asn1.ObjectIdentifier) (*Server, *fakeMech) {
	t.Helper()
	sm := newFakeMech(false)
	s := NewServer(sm)
	if _, _, err := s.Step(context.Background(), clientInit(t, mechs, ntlmMsg(1), nil)); err != nil {
		t.Fatal(err)
	}
	return s, sm
}

func TestServerMICRules(t *testing.T) {
	ntlmOnly := []asn1.ObjectIdentifier{OIDNTLMSSP}
	list, _ := MechTypeList(ntlmOnly)
	good, _ := newFakeMech(true).GetMIC(list)
	bad := append([]byte{}, good...)
	bad[3] ^= 1
	cases := []struct {
		name  string
		mechs []asn1.ObjectIdentifier
		mic   []byte
		err   error
		micOK bool
	}{
		{"ntlm first, good MIC", ntlmOnly, good, nil, true},
		{"ntlm first, wrong MIC", ntlmOnly, bad, ErrBadMIC, false},
		{"ntlm first, no MIC", ntlmOnly, nil, nil, false},
		{"ntlm second, no MIC", []asn1.ObjectIdentifier{OIDKerberos, OIDNTLMSSP}, nil, ErrMICRequired, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, sm := serverAt(t, tc.mechs)
			if tc.mechs[0].Equal(OIDKerberos) {
				// No optimistic NTLM token: NEGOTIATE comes next.
				s, sm = NewServer(newFakeMech(false)), nil
				s.Step(context.Background(), clientInit(t, tc.mechs, nil, nil))
				s.Step(context.Background(), clientResp(t, ntlmMsg(1), nil))
			}
			out, done, err := s.Step(context.Background(), clientResp(t, ntlmMsg(3), tc.mic))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				wantResp(t, out, Reject, false, nil, false)
				if _, _, err := s.Step(context.Background(), clientResp(t, ntlmMsg(3), tc.mic)); !errors.Is(err, ErrState) {
					t.Errorf("step after failure: %v", err)
				}
				return
			}
			if !done {
				t.Fatal("not done")
			}
			wantResp(t, out, AcceptCompleted, false, nil, tc.micOK)
			if sm != nil && tc.micOK != (sm.resets == 1) {
				t.Errorf("resets = %d", sm.resets)
			}
		})
	}
}

func TestServerRejects(t *testing.T) {
	ctx := context.Background()
	cases := map[string][][]byte{
		"no ntlm":        {clientInit(t, []asn1.ObjectIdentifier{OIDKerberos}, nil, nil)},
		"garbage":        {[]byte{0x60, 0x00}},
		"resp first":     {clientResp(t, ntlmMsg(1), nil)},
		"bad ntlm":       {clientInit(t, []asn1.ObjectIdentifier{OIDNTLMSSP}, ntlmMsg(3), nil)},
		"client rejects": {clientInit(t, []asn1.ObjectIdentifier{OIDNTLMSSP}, ntlmMsg(1), nil), mustHex(t, "a1073005a0030a0102")},
		"no token":       {clientInit(t, []asn1.ObjectIdentifier{OIDNTLMSSP}, ntlmMsg(1), nil), mustHex(t, "a1073005a0030a0101")},
		"init twice":     {clientInit(t, []asn1.ObjectIdentifier{OIDNTLMSSP}, ntlmMsg(1), nil), clientInit(t, []asn1.ObjectIdentifier{OIDNTLMSSP}, ntlmMsg(1), nil)},
	}
	for name, toks := range cases {
		s := NewServer(newFakeMech(false))
		var out []byte
		var err error
		for _, tok := range toks {
			if out, _, err = s.Step(ctx, tok); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		wantResp(t, out, Reject, false, nil, false)
	}
}

func TestServerRawNTLMFallback(t *testing.T) {
	s := NewServer(newFakeMech(false))
	out, done, err := s.Step(context.Background(), ntlmMsg(1))
	if err != nil || done || !bytes.Equal(out, ntlmMsg(2)) {
		t.Fatalf("leg 1: %x %v %v", out, done, err)
	}
	out, done, err = s.Step(context.Background(), ntlmMsg(3))
	if err != nil || !done || out != nil {
		t.Fatalf("leg 2: %x %v %v", out, done, err)
	}
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	resp := func(r NegTokenResp) []byte {
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	chal := resp(NegTokenResp{NegState: AcceptIncomplete, SupportedMech: OIDNTLMSSP, ResponseToken: ntlmMsg(2)})
	cases := map[string][][]byte{
		"reject":           {resp(NegTokenResp{NegState: Reject})},
		"kerberos chosen":  {resp(NegTokenResp{NegState: AcceptIncomplete, SupportedMech: OIDKerberos, ResponseToken: ntlmMsg(2)})},
		"no challenge":     {resp(NegTokenResp{NegState: AcceptIncomplete, SupportedMech: OIDNTLMSSP})},
		"completed early":  {resp(NegTokenResp{NegState: AcceptCompleted, SupportedMech: OIDNTLMSSP, ResponseToken: ntlmMsg(2)})},
		"garbage":          {{0xa1, 0x01}},
		"bad final MIC":    {chal, resp(NegTokenResp{NegState: AcceptCompleted, MechListMIC: make([]byte, 16)})},
		"final incomplete": {chal, resp(NegTokenResp{NegState: AcceptIncomplete})},
		"final token":      {chal, resp(NegTokenResp{NegState: AcceptCompleted, ResponseToken: []byte{1}})},
		"final reject":     {chal, resp(NegTokenResp{NegState: Reject})},
		"mic requested":    {resp(NegTokenResp{NegState: RequestMIC, SupportedMech: OIDNTLMSSP, ResponseToken: ntlmMsg(2)}), resp(NegTokenResp{NegState: AcceptCompleted})},
		"after done":       {chal, resp(NegTokenResp{NegState: AcceptCompleted}), chal},
	}
	for name, toks := range cases {
		c := NewClient(newFakeMech(true))
		if _, _, err := c.Step(ctx, nil); err != nil {
			t.Fatal(err)
		}
		var err error
		for _, tok := range toks {
			if _, _, err = c.Step(ctx, tok); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestClientServerWithoutMIC(t *testing.T) {
	// A server that completes without a mechListMIC is accepted when none
	// was requested ([MS-SPNG] <8>).
	cm := newFakeMech(true)
	c := NewClient(cm)
	ctx := context.Background()
	c.Step(ctx, nil)
	chal, _ := (&NegTokenResp{NegState: AcceptIncomplete, SupportedMech: OIDNTLMSSP, ResponseToken: ntlmMsg(2)}).Marshal()
	if _, done, err := c.Step(ctx, chal); err != nil || done {
		t.Fatal(err)
	}
	fin, _ := (&NegTokenResp{NegState: AcceptCompleted}).Marshal()
	out, done, err := c.Step(ctx, fin)
	if err != nil || !done || out != nil {
		t.Fatalf("%x %v %v", out, done, err)
	}
}

func TestClientAcceptsServerInit2(t *testing.T) {
	c := NewClient(newFakeMech(true))
	out, done, err := c.Step(context.Background(), mustHex(t, specNegTokenInit2))
	if err != nil || done {
		t.Fatal(err)
	}
	if _, err := DecodeInit(out); err != nil {
		t.Fatal(err)
	}
	c = NewClient(newFakeMech(true))
	if _, _, err := c.Step(context.Background(), clientInit(t, []asn1.ObjectIdentifier{OIDKerberos}, nil, nil)); !errors.Is(err, ErrNoNTLM) {
		t.Fatalf("err = %v", err)
	}
}
