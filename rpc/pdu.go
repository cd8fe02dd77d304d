package rpc

import (
	"encoding/binary"
	"fmt"
)

// PDU is one connection-oriented fragment: the common header, a typed
// body and an optional authentication verifier.
//
// Decoded PDUs alias the input buffer (stubs, tokens, raw fields) and do
// not copy it. Marshal computes frag_length and auth_length.
type PDU struct {
	Header
	Body Body
	Auth *Verifier // nil when auth_length is 0
}

// Body is the type-specific part of a PDU: *Bind (bind, alter_context),
// *BindAck (bind_ack, alter_context_resp), *BindNak, *Request, *Response,
// *Fault, *Auth3 or *Empty (shutdown, co_cancel, orphaned).
type Body interface {
	appendBody(b []byte) []byte
	decodeBody(c *cursor, h *Header)
	// stubOffset is the offset of the stub within the encoded body
	// (request/response/fault), or -1 when the body has no stub.
	stubOffset() int
}

// Verifier is the auth verifier: sec_trailer and token (C706 12.6.3;
// [MS-RPCE] 2.2.2.11).
type Verifier struct {
	Type      AuthType  // auth_type
	Level     AuthLevel // auth_level
	Reserved  uint8     // auth_reserved
	ContextID uint32    // auth_context_id
	Token     []byte    // auth_value, auth_length bytes
	// Pad is the auth padding as decoded (auth_pad_length bytes before the
	// sec_trailer). When nil, Marshal pads with zeros: the stub to a
	// multiple of 16 for request, response and fault, to 4 otherwise.
	Pad []byte
}

// SecTrailerSize is the size of the sec_trailer without the token.
const SecTrailerSize = 8

// layout records where the parts of an encoded PDU lie.
type layout struct {
	stub    int // stub start, or -1
	trailer int // sec_trailer start, or the frag length when unauthenticated
}

// Marshal encodes p little-endian.
func (p *PDU) Marshal() ([]byte, error) {
	b, _, err := p.marshal(nil)
	return b, err
}

func (p *PDU) marshal(b []byte) ([]byte, layout, error) {
	var l layout
	if p.Body == nil {
		return nil, l, fmt.Errorf("rpc: marshal %v: nil body", p.Type)
	}
	start := len(b)
	b = appendHeader(b, &p.Header)
	if r, ok := p.Body.(*Request); ok {
		if r.Object != nil {
			b[start+3] |= FlagObjectUUID
		} else {
			b[start+3] &^= FlagObjectUUID
		}
	}
	b = p.Body.appendBody(b)
	l.stub = -1
	if so := p.Body.stubOffset(); so >= 0 {
		l.stub = so + HeaderSize
	}
	if a := p.Auth; a != nil {
		pad := a.Pad
		if pad == nil {
			pad = zeroPad(len(b)-start, l.stub)
		}
		b = append(b, pad...)
		l.trailer = len(b) - start
		b = append(b, byte(a.Type), byte(a.Level), byte(len(pad)), a.Reserved)
		b = appendU32(b, a.ContextID)
		b = append(b, a.Token...)
	}
	n := len(b) - start
	if n > 0xFFFF || (p.Auth != nil && len(p.Auth.Token) > 0xFFFF) || len(p.authPad()) > 0xFF {
		return nil, l, fmt.Errorf("rpc: marshal %v: %d-byte PDU too large", p.Type, n)
	}
	binary.LittleEndian.PutUint16(b[start+8:], uint16(n))
	if p.Auth != nil {
		binary.LittleEndian.PutUint16(b[start+10:], uint16(len(p.Auth.Token)))
	} else {
		l.trailer = n
	}
	return b, l, nil
}

func (p *PDU) authPad() []byte {
	if p.Auth == nil {
		return nil
	}
	return p.Auth.Pad
}

// zeroPad returns the auth padding for a PDU whose body ends at n: the
// stub (from its start) aligned to 16 ([MS-RPCE] 2.2.2.11, as Windows
// does), or the PDU aligned to 4 when there is no stub.
func zeroPad(n, stub int) []byte {
	from, align := 0, 4
	if stub >= 0 {
		from, align = stub, 16
	}
	return make([]byte, (align-(n-from)%align)%align)
}

// Unmarshal decodes one PDU from b, which must hold at least frag_length
// bytes; bytes past frag_length are ignored. Integers are read in the
// byte order drep announces.
func Unmarshal(b []byte) (*PDU, error) {
	p, _, err := unmarshal(b)
	return p, err
}

func unmarshal(b []byte) (*PDU, layout, error) {
	var l layout
	h, err := ParseHeader(b)
	if err != nil {
		return nil, l, err
	}
	if int(h.FragLength) > len(b) {
		return nil, l, fmt.Errorf("%w: frag_length %d, have %d", ErrShortPDU, h.FragLength, len(b))
	}
	b = b[:h.FragLength]
	p := &PDU{Header: h}
	p.Body = newBody(h.Type)
	if p.Body == nil {
		return nil, l, fmt.Errorf("%w: %v", ErrUnknownPType, h.Type)
	}
	bodyEnd, err := p.decodeAuth(b)
	if err != nil {
		return nil, l, err
	}
	c := newCursor(b[HeaderSize:bodyEnd], h.order())
	p.Body.decodeBody(c, &p.Header)
	if c.failed() {
		return nil, l, fmt.Errorf("%w: %v body", ErrMalformedPDU, h.Type)
	}
	l.stub = -1
	if so := p.Body.stubOffset(); so >= 0 {
		l.stub = so + HeaderSize
	}
	l.trailer = len(b)
	if p.Auth != nil {
		l.trailer = len(b) - int(h.AuthLength) - SecTrailerSize
	}
	return p, l, nil
}

// decodeAuth parses the sec_trailer and token, returning where the body
// (without auth padding) ends.
func (p *PDU) decodeAuth(b []byte) (int, error) {
	h := &p.Header
	if h.AuthLength == 0 {
		return len(b), nil
	}
	t := len(b) - int(h.AuthLength) - SecTrailerSize
	if t < HeaderSize {
		return 0, fmt.Errorf("%w: auth_length %d in %d-byte PDU", ErrMalformedPDU, h.AuthLength, len(b))
	}
	padLen := int(b[t+2])
	if t-padLen < HeaderSize {
		return 0, fmt.Errorf("%w: auth_pad_length %d", ErrMalformedPDU, padLen)
	}
	p.Auth = &Verifier{
		Type: AuthType(b[t]), Level: AuthLevel(b[t+1]), Reserved: b[t+3],
		ContextID: h.order().Uint32(b[t+4:]),
		Token:     b[t+SecTrailerSize : len(b) : len(b)],
		Pad:       b[t-padLen : t : t],
	}
	return t - padLen, nil
}

func newBody(t PType) Body {
	switch t {
	case PTypeRequest:
		return &Request{}
	case PTypeResponse:
		return &Response{}
	case PTypeFault:
		return &Fault{}
	case PTypeBind, PTypeAlterContext:
		return &Bind{}
	case PTypeBindAck, PTypeAlterContextResp:
		return &BindAck{}
	case PTypeBindNak:
		return &BindNak{}
	case PTypeAuth3:
		return &Auth3{}
	case PTypeShutdown, PTypeCoCancel, PTypeOrphaned:
		return &Empty{}
	}
	return nil
}
