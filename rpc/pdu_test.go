package rpc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/iisctl/iisctl/ndr"
)

var testIface = SyntaxID{UUID: ndr.MustGUID("12345678-1234-abcd-ef00-0123456789ab"), Major: 1}

func hdr(t PType, flags uint8) Header {
	return Header{Version: 5, Type: t, Flags: flags | FlagFirstFrag | FlagLastFrag, DRep: DRepLE, CallID: 7}
}

// samplePDUs has one PDU per type; each must round-trip byte-exactly.
func samplePDUs() []*PDU {
	obj := ndr.MustGUID("00000000-0000-0000-c000-000000000046")
	tok := []byte("token-bytes")
	return []*PDU{
		{Header: hdr(PTypeBind, FlagSupportHeaderSign), Body: &Bind{MaxXmitFrag: 5840, MaxRecvFrag: 5840, Contexts: []ContextElement{
			{ContextID: 0, Abstract: testIface, Transfer: []SyntaxID{SyntaxNDR20}},
			{ContextID: 1, Abstract: testIface, Transfer: []SyntaxID{SyntaxNDR64}},
			{ContextID: 2, Abstract: testIface, Transfer: []SyntaxID{FeatureSyntax(3)}},
		}}, Auth: &Verifier{Type: AuthTypeNTLM, Level: AuthLevelPrivacy, ContextID: 0, Token: tok}},
		{Header: hdr(PTypeAlterContext, 0), Body: &Bind{MaxXmitFrag: 2048, MaxRecvFrag: 2048, AssocGroup: 0x1234,
			Contexts: []ContextElement{{ContextID: 5, Abstract: testIface, Transfer: []SyntaxID{SyntaxNDR20, SyntaxNDR64}}}}},
		{Header: hdr(PTypeBindAck, 0), Body: &BindAck{MaxXmitFrag: 5840, MaxRecvFrag: 5840, AssocGroup: 0x1000, SecondaryAddr: "135",
			Results: []ContextResult{{Result: 0, Transfer: SyntaxNDR20}, {Result: 2, Reason: 2}, {Result: 3, Reason: 1}}},
			Auth: &Verifier{Type: AuthTypeSPNEGO, Level: AuthLevelIntegrity, ContextID: 9, Token: tok}},
		{Header: hdr(PTypeAlterContextResp, 0), Body: &BindAck{MaxXmitFrag: 5840, MaxRecvFrag: 5840, AssocGroup: 0x1000,
			Results: []ContextResult{{Result: 0, Transfer: SyntaxNDR64}}}},
		{Header: hdr(PTypeBindNak, 0), Body: &BindNak{Reason: 4, Versions: []Version{{5, 0}}}},
		{Header: hdr(PTypeBindNak, 0), Body: &BindNak{Reason: 9, Versions: []Version{{5, 0}},
			Rest: append([]byte{0, 0, 0}, ExtendedErrorSignature[:]...)}},
		{Header: hdr(PTypeRequest, 0), Body: &Request{AllocHint: 5, ContextID: 1, Opnum: 10, Stub: []byte{1, 2, 3, 4, 5}}},
		{Header: hdr(PTypeRequest, 0), Body: &Request{ContextID: 1, Opnum: 3, Object: &obj, Stub: []byte{9, 9}},
			Auth: &Verifier{Type: AuthTypeNTLM, Level: AuthLevelIntegrity, ContextID: 1, Token: make([]byte, 16)}},
		{Header: hdr(PTypeResponse, 0), Body: &Response{AllocHint: 3, ContextID: 1, Stub: []byte{7, 8, 9}},
			Auth: &Verifier{Type: AuthTypeNTLM, Level: AuthLevelPrivacy, ContextID: 1, Token: make([]byte, 16)}},
		{Header: hdr(PTypeFault, FlagDidNotExecute), Body: &Fault{ContextID: 1, Status: StatusOpRangeError}},
		{Header: hdr(PTypeAuth3, 0), Body: &Auth3{}, Auth: &Verifier{Type: AuthTypeNTLM, Level: AuthLevelConnect, Token: tok}},
		{Header: hdr(PTypeShutdown, 0), Body: &Empty{}},
		{Header: hdr(PTypeCoCancel, 0), Body: &Empty{}},
		{Header: hdr(PTypeOrphaned, 0), Body: &Empty{}},
	}
}

func TestPDURoundTrip(t *testing.T) {
	for _, p := range samplePDUs() {
		t.Run(p.Type.String(), func(t *testing.T) {
			b, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if int(b[8])|int(b[9])<<8 != len(b) {
				t.Fatalf("frag_length %d, len %d", int(b[8])|int(b[9])<<8, len(b))
			}
			q, err := Unmarshal(b)
			if err != nil {
				t.Fatalf("unmarshal: %v\n%s", err, hex.Dump(b))
			}
			if q.Type != p.Type || q.CallID != p.CallID || q.Flags&^FlagObjectUUID != p.Flags {
				t.Fatalf("header %+v, want %+v", q.Header, p.Header)
			}
			b2, err := q.Marshal()
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("re-marshal differs (%v):\n%s\n%s", err, hex.Dump(b), hex.Dump(b2))
			}
			if p.Auth != nil {
				if !bytes.Equal(q.Auth.Token, p.Auth.Token) || q.Auth.Level != p.Auth.Level || q.Auth.ContextID != p.Auth.ContextID {
					t.Fatalf("auth %+v, want %+v", q.Auth, p.Auth)
				}
			}
			checkBody(t, p.Body, q.Body)
		})
	}
}

// checkBody compares bodies, ignoring fields that record raw padding.
func checkBody(t *testing.T, want, got Body) {
	t.Helper()
	switch w := want.(type) {
	case *Request:
		g := got.(*Request)
		if !bytes.Equal(w.Stub, g.Stub) || w.Opnum != g.Opnum || w.ContextID != g.ContextID || !reflect.DeepEqual(w.Object, g.Object) {
			t.Fatalf("request %+v, want %+v", g, w)
		}
	case *Response:
		if g := got.(*Response); !bytes.Equal(w.Stub, g.Stub) || w.ContextID != g.ContextID {
			t.Fatalf("response %+v, want %+v", g, w)
		}
	case *Bind:
		if !reflect.DeepEqual(w, got) {
			t.Fatalf("bind %+v, want %+v", got, w)
		}
	case *BindAck:
		g := got.(*BindAck)
		if g.SecondaryAddr != w.SecondaryAddr || !reflect.DeepEqual(g.Results, w.Results) || g.AssocGroup != w.AssocGroup {
			t.Fatalf("bind_ack %+v, want %+v", g, w)
		}
	case *Fault:
		if g := got.(*Fault); g.Status != w.Status {
			t.Fatalf("fault %+v, want %+v", g, w)
		}
	case *BindNak:
		g := got.(*BindNak)
		if g.Reason != w.Reason || !reflect.DeepEqual(g.Versions, w.Versions) {
			t.Fatalf("bind_nak %+v, want %+v", g, w)
		}
		if _, ok := g.Signature(); ok != (w.Rest != nil) {
			t.Fatalf("bind_nak signature presence %v", ok)
		}
	}
}

func TestAuthPadding(t *testing.T) {
	for n := range 40 {
		p := &PDU{Header: hdr(PTypeRequest, 0), Body: &Request{Stub: make([]byte, n)},
			Auth: &Verifier{Type: AuthTypeNTLM, Level: AuthLevelIntegrity, Token: make([]byte, 16)}}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		trailer := len(b) - 16 - 8
		if (trailer-24)%16 != 0 || int(b[trailer+2]) != (16-n%16)%16 {
			t.Fatalf("stub %d: trailer at %d, pad %d", n, trailer, b[trailer+2])
		}
		q, err := Unmarshal(b)
		if err != nil || len(q.Body.(*Request).Stub) != n {
			t.Fatalf("stub %d: %v", n, err)
		}
	}
	// A 4-aligned pad (impacket) is accepted.
	p := &PDU{Header: hdr(PTypeRequest, 0), Body: &Request{Stub: []byte{1, 2, 3, 4, 5}},
		Auth: &Verifier{Type: AuthTypeNTLM, Level: AuthLevelIntegrity, Token: make([]byte, 16), Pad: []byte{0, 0, 0}}}
	b, _ := p.Marshal()
	q, err := Unmarshal(b)
	if err != nil || len(q.Body.(*Request).Stub) != 5 || len(q.Auth.Pad) != 3 {
		t.Fatalf("4-aligned pad: %v %+v", err, q)
	}
}

func TestBigEndianDecode(t *testing.T) {
	p := &PDU{Header: hdr(PTypeRequest, 0), Body: &Request{AllocHint: 0x01020304, ContextID: 0x0506, Opnum: 0x0708, Stub: []byte{0xAA}}}
	le, _ := p.Marshal()
	be := append([]byte(nil), le...)
	be[4] = 0x00 // big-endian drep
	swap := func(off, n int) {
		for i, j := off, off+n-1; i < j; i, j = i+1, j-1 {
			be[i], be[j] = be[j], be[i]
		}
	}
	swap(8, 2)
	swap(10, 2)
	swap(12, 4)
	swap(16, 4)
	swap(20, 2)
	swap(22, 2)
	q, err := Unmarshal(be)
	if err != nil {
		t.Fatal(err)
	}
	r := q.Body.(*Request)
	if q.FragLength != uint16(len(le)) || q.CallID != 7 || r.AllocHint != 0x01020304 || r.ContextID != 0x0506 || r.Opnum != 0x0708 {
		t.Fatalf("big-endian decode: %+v %+v", q.Header, r)
	}
}

func TestDecodeErrors(t *testing.T) {
	good, _ := samplePDUs()[0].Marshal()
	cases := map[string][]byte{
		"empty":        nil,
		"short header": good[:10],
		"truncated":    good[:len(good)-1],
		"bad ptype":    func() []byte { b := bytes.Clone(good); b[2] = 99; return b }(),
		"frag < 16":    func() []byte { b := bytes.Clone(good); b[8], b[9] = 8, 0; return b }(),
		"auth too big": func() []byte { b := bytes.Clone(good); b[10], b[11] = 0xff, 0; return b }(),
		"n_ctx lies":   func() []byte { b := bytes.Clone(good); b[24] = 200; return b }(),
	}
	for name, b := range cases {
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("%s: no error", name)
		} else if !errors.Is(err, ErrShortPDU) && !errors.Is(err, ErrMalformedPDU) && !errors.Is(err, ErrUnknownPType) {
			t.Errorf("%s: untyped error %v", name, err)
		}
	}
}

func TestPTypeString(t *testing.T) {
	if PTypeAlterContextResp.String() != "alter_context_resp" || PType(99).String() != "ptype(99)" {
		t.Fatal(PTypeAlterContextResp.String(), PType(99).String())
	}
}

func TestFaultErrorString(t *testing.T) {
	if s := (&FaultError{Status: StatusOpRangeError}).Error(); s != "rpc: fault nca_s_op_rng_error (0x1c010002)" {
		t.Fatal(s)
	}
}

func TestVerificationTrailer(t *testing.T) {
	h2 := VTHeader2{PType: PTypeRequest, DRep: DRepLE, CallID: 3, ContextID: 1, Opnum: 4}
	pcx := VTPContext{Interface: testIface, Transfer: SyntaxNDR20}
	vt := &VerificationTrailer{Commands: []VTCommand{BitmaskCommand(1), PContextCommand(pcx), Header2Command(h2)}}
	stub := vt.AppendTo([]byte{1, 2, 3, 4, 5})
	got, off, ok := FindVerificationTrailer(stub)
	if !ok || off != 8 {
		t.Fatalf("find: ok %v off %d", ok, off)
	}
	if b, _ := got.Bitmask(); b != 1 {
		t.Fatal("bitmask", b)
	}
	if p, _ := got.PContext(); p != pcx {
		t.Fatal("pcontext", p)
	}
	if h, _ := got.Header2(); h != h2 {
		t.Fatal("header2", h)
	}
	if _, _, ok := FindVerificationTrailer(stub[:len(stub)-1]); ok {
		t.Fatal("truncated trailer found")
	}
	if _, _, ok := FindVerificationTrailer(append(bytes.Clone(VTSignature), 1, 0)); ok {
		t.Fatal("garbage trailer found")
	}
}
