package spnego

import (
	"errors"
	"fmt"
)

// DER tags used by SPNEGO (X.690 8.1.2; RFC 4178 §4.2 uses explicit tags).
const (
	tagBitString   = 0x03
	tagOctetString = 0x04
	tagOID         = 0x06
	tagEnumerated  = 0x0a
	tagGeneralStr  = 0x1b
	tagSequence    = 0x30
	tagApp0        = 0x60 // [APPLICATION 0] constructed
)

// ctxTag returns the constructed context-specific tag [n].
func ctxTag(n int) byte { return 0xa0 | byte(n) }

var (
	errTruncated = errors.New("spnego: truncated DER")
	errTrailing  = errors.New("spnego: trailing data after DER element")
)

// readTLV splits one element with a low-number tag off b. Definite lengths
// of up to four bytes are accepted (non-minimal long forms too, as BER
// readers do); the value aliases b and never exceeds it.
func readTLV(b []byte) (tag byte, val, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errTruncated
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("spnego: high tag number 0x%02x unsupported", tag)
	}
	n, hdr, err := readLength(b[1:])
	if err != nil {
		return 0, nil, nil, err
	}
	body := b[1+hdr:]
	if n > uint64(len(body)) {
		return 0, nil, nil, errTruncated
	}
	return tag, body[:n], body[n:], nil
}

// readLength decodes a DER length and reports how many bytes it used.
func readLength(b []byte) (n uint64, used int, err error) {
	if len(b) == 0 {
		return 0, 0, errTruncated
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1, nil
	}
	k := int(b[0] & 0x7f)
	if k == 0 {
		return 0, 0, errors.New("spnego: indefinite length not allowed")
	}
	if k > 4 {
		return 0, 0, errors.New("spnego: length too long")
	}
	if len(b) < 1+k {
		return 0, 0, errTruncated
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | uint64(c)
	}
	return n, 1 + k, nil
}

// expectTLV reads one element that must carry tag want.
func expectTLV(b []byte, want byte) (val, rest []byte, err error) {
	tag, val, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, fmt.Errorf("spnego: tag 0x%02x, want 0x%02x", tag, want)
	}
	return val, rest, nil
}

// expectOnly reads exactly one element with tag want filling b.
func expectOnly(b []byte, want byte) ([]byte, error) {
	val, rest, err := expectTLV(b, want)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errTrailing
	}
	return val, nil
}

// appendTLV appends tag, minimal DER length and val to dst.
func appendTLV(dst []byte, tag byte, val []byte) []byte {
	dst = append(dst, tag)
	dst = appendLength(dst, len(val))
	return append(dst, val...)
}

// appendLength appends a minimal DER length.
func appendLength(dst []byte, n int) []byte {
	if n < 0x80 {
		return append(dst, byte(n))
	}
	var tmp [8]byte
	i := len(tmp)
	for v := n; v > 0; v >>= 8 {
		i--
		tmp[i] = byte(v)
	}
	dst = append(dst, 0x80|byte(len(tmp)-i))
	return append(dst, tmp[i:]...)
}

// explicit wraps an already encoded element in context tag [n].
func explicit(dst []byte, n int, inner []byte) []byte {
	return appendTLV(dst, ctxTag(n), inner)
}

// cloneBytes copies b, keeping the difference between nil and empty.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
