package spnego

import (
	"errors"
	"fmt"
)

// Decode parses a SPNEGO token: an InitialContextToken carrying a
// NegTokenInit(2) (first byte 0x60) or a bare NegTokenResp (0xa1).
// Exactly one of the results is non-nil on success.
func Decode(b []byte) (*NegTokenInit, *NegTokenResp, error) {
	if len(b) == 0 {
		return nil, nil, errTruncated
	}
	switch b[0] {
	case tagApp0:
		t, err := DecodeInit(b)
		return t, nil, err
	case ctxTag(1):
		t, err := DecodeResp(b)
		return nil, t, err
	}
	return nil, nil, fmt.Errorf("spnego: not a SPNEGO token (tag 0x%02x)", b[0])
}

// DecodeInit parses InitialContextToken{1.3.6.1.5.5.2, [0] NegTokenInit}
// (RFC 4178 §4.2, RFC 2743 §3.1), NegTokenInit2 included.
func DecodeInit(b []byte) (*NegTokenInit, error) {
	app, err := expectOnly(b, tagApp0)
	if err != nil {
		return nil, err
	}
	oidBody, rest, err := expectTLV(app, tagOID)
	if err != nil {
		return nil, err
	}
	if oid, err := parseOID(oidBody); err != nil || !oid.Equal(OIDSPNEGO) {
		return nil, errors.New("spnego: initial token is not SPNEGO")
	}
	choice, err := expectOnly(rest, ctxTag(0))
	if err != nil {
		return nil, err
	}
	seq, err := expectOnly(choice, tagSequence)
	if err != nil {
		return nil, err
	}
	t := &NegTokenInit{}
	if err := walkFields(seq, t.decodeField); err != nil {
		return nil, fmt.Errorf("NegTokenInit: %w", err)
	}
	return t, nil
}

// DecodeResp parses NegotiationToken [1] NegTokenResp (RFC 4178 §4.2.2).
func DecodeResp(b []byte) (*NegTokenResp, error) {
	choice, err := expectOnly(b, ctxTag(1))
	if err != nil {
		return nil, err
	}
	seq, err := expectOnly(choice, tagSequence)
	if err != nil {
		return nil, err
	}
	t := &NegTokenResp{NegState: NoNegState}
	if err := walkFields(seq, t.decodeField); err != nil {
		return nil, fmt.Errorf("NegTokenResp: %w", err)
	}
	return t, nil
}

// walkFields calls fn for each explicitly tagged field of a SEQUENCE body,
// requiring strictly ascending tag numbers.
func walkFields(body []byte, fn func(n int, inner []byte) error) error {
	last := -1
	for len(body) > 0 {
		tag, val, rest, err := readTLV(body)
		if err != nil {
			return err
		}
		if tag&0xe0 != 0xa0 {
			return fmt.Errorf("spnego: unexpected tag 0x%02x", tag)
		}
		n := int(tag & 0x1f)
		if n <= last {
			return fmt.Errorf("spnego: field [%d] out of order", n)
		}
		last = n
		if err := fn(n, val); err != nil {
			return fmt.Errorf("[%d]: %w", n, err)
		}
		body = rest
	}
	return nil
}

// decodeField fills one NegTokenInit(2) field. Unknown later fields are
// skipped (NegTokenInit2 is extensible).
func (t *NegTokenInit) decodeField(n int, in []byte) (err error) {
	switch n {
	case 0:
		return t.decodeMechTypes(in)
	case 1:
		t.ReqFlags, err = octets(in, tagBitString)
		if err == nil && len(t.ReqFlags) == 0 {
			err = errors.New("spnego: empty BIT STRING")
		}
	case 2:
		t.MechToken, err = octets(in, tagOctetString)
	case 3:
		return t.decodeField3(in)
	case 4:
		if t.MechListMIC != nil {
			return errors.New("spnego: duplicate mechListMIC")
		}
		t.MechListMIC, err = octets(in, tagOctetString)
	}
	return err
}

// decodeField3 reads [3], which is negHints in NegTokenInit2 and
// mechListMIC in RFC 4178 NegTokenInit; the inner tag tells them apart.
func (t *NegTokenInit) decodeField3(in []byte) (err error) {
	if len(in) > 0 && in[0] == tagOctetString {
		t.MechListMIC, err = octets(in, tagOctetString)
		return err
	}
	seq, err := expectOnly(in, tagSequence)
	if err != nil {
		return err
	}
	h := &NegHints{}
	if err := walkFields(seq, h.decodeField); err != nil {
		return fmt.Errorf("negHints: %w", err)
	}
	t.NegHints = h
	return nil
}

// decodeMechTypes reads MechTypeList and keeps its bytes for the MIC.
func (t *NegTokenInit) decodeMechTypes(in []byte) error {
	seq, err := expectOnly(in, tagSequence)
	if err != nil {
		return err
	}
	for len(seq) > 0 {
		var body []byte
		if body, seq, err = expectTLV(seq, tagOID); err != nil {
			return err
		}
		oid, err := parseOID(body)
		if err != nil {
			return err
		}
		t.MechTypes = append(t.MechTypes, oid)
	}
	t.RawMechTypes = cloneBytes(in)
	return nil
}

// decodeField fills one NegHints field.
func (h *NegHints) decodeField(n int, in []byte) (err error) {
	switch n {
	case 0:
		h.HintName, err = octets(in, tagGeneralStr)
	case 1:
		h.HintAddress, err = octets(in, tagOctetString)
	}
	return err
}

// decodeField fills one NegTokenResp field.
func (t *NegTokenResp) decodeField(n int, in []byte) (err error) {
	switch n {
	case 0:
		return t.decodeNegState(in)
	case 1:
		body, err := expectOnly(in, tagOID)
		if err != nil {
			return err
		}
		t.SupportedMech, err = parseOID(body)
		return err
	case 2:
		t.ResponseToken, err = octets(in, tagOctetString)
	case 3:
		t.MechListMIC, err = octets(in, tagOctetString)
	}
	return err
}

// decodeNegState reads the ENUMERATED negState (non-negative, ≤ 4 bytes).
func (t *NegTokenResp) decodeNegState(in []byte) error {
	body, err := expectOnly(in, tagEnumerated)
	if err != nil {
		return err
	}
	if len(body) == 0 || len(body) > 4 || body[0]&0x80 != 0 {
		return errors.New("spnego: bad negState")
	}
	v := 0
	for _, c := range body {
		v = v<<8 | int(c)
	}
	t.NegState = NegState(v)
	return nil
}

// octets reads exactly one element with tag want and copies its value.
func octets(in []byte, want byte) ([]byte, error) {
	v, err := expectOnly(in, want)
	if err != nil {
		return nil, err
	}
	return cloneBytes(v), nil
}
