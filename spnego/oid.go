package spnego

import (
	"encoding/asn1"
	"errors"
)

// Mechanism and framing OIDs (RFC 4178 §4.1; [MS-SPNG] 1.4 <1>, 3.1.5.2 <9>).
var (
	OIDSPNEGO   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	OIDNTLMSSP  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	OIDKerberos = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	// OIDMSKerberos is the truncated Kerberos OID Windows 2000 emitted.
	OIDMSKerberos  = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	OIDKerberosU2U = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2, 3}
	OIDNegoEx      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 30}
)

var errOID = errors.New("spnego: malformed OBJECT IDENTIFIER")

// maxArc bounds one OID arc so that it fits an int on every platform.
const maxArc = 1<<31 - 1

// parseOID decodes the contents of an OBJECT IDENTIFIER (X.690 8.19).
// It allocates at most len(b)+1 arcs.
func parseOID(b []byte) (asn1.ObjectIdentifier, error) {
	if len(b) == 0 {
		return nil, errOID
	}
	oid := make(asn1.ObjectIdentifier, 0, len(b)+1)
	for len(b) > 0 {
		v, n, err := readArc(b)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		if len(oid) == 0 {
			oid = append(oid, splitFirstArc(v)...)
			continue
		}
		oid = append(oid, v)
	}
	return oid, nil
}

// splitFirstArc undoes the 40*X+Y packing of the first two arcs.
func splitFirstArc(v int) []int {
	switch {
	case v < 40:
		return []int{0, v}
	case v < 80:
		return []int{1, v - 40}
	default:
		return []int{2, v - 80}
	}
}

// readArc reads one base-128 arc, rejecting padding and overflow.
func readArc(b []byte) (v, n int, err error) {
	if b[0] == 0x80 {
		return 0, 0, errOID
	}
	for n < len(b) {
		c := b[n]
		n++
		if v > maxArc>>7 {
			return 0, 0, errOID
		}
		v = v<<7 | int(c&0x7f)
		if c&0x80 == 0 {
			return v, n, nil
		}
	}
	return 0, 0, errOID
}

// appendOID appends a DER OBJECT IDENTIFIER element.
func appendOID(dst []byte, oid asn1.ObjectIdentifier) ([]byte, error) {
	if len(oid) < 2 || oid[0] < 0 || oid[0] > 2 || oid[1] < 0 || (oid[0] < 2 && oid[1] >= 40) {
		return nil, errOID
	}
	body := appendArc(nil, oid[0]*40+oid[1])
	for _, a := range oid[2:] {
		if a < 0 {
			return nil, errOID
		}
		body = appendArc(body, a)
	}
	return appendTLV(dst, tagOID, body), nil
}

// appendArc appends one base-128 arc.
func appendArc(dst []byte, v int) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	return append(dst, tmp[i:]...)
}
