package kerberos

import (
	"bytes"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// MaxTokenSize bounds a handshake token before any parsing (a ticket with
// a large PAC is a few KiB).
const MaxTokenSize = 64 << 10

// GSS-API token IDs (RFC 4121 4.1).
var (
	tokAPReq    = []byte{0x01, 0x00}
	tokAPRep    = []byte{0x02, 0x00}
	tokKRBError = []byte{0x03, 0x00}
)

// DER contents of the Kerberos mechanism OIDs (RFC 4121 1; [MS-SPNG] <9>).
var (
	derKRB5   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	derMSKRB5 = []byte{0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}
)

// Frame wraps a Kerberos message in the RFC 2743 3.1 InitialContextToken
// framing with the RFC 4121 token ID.
func Frame(tokID, inner []byte) []byte {
	body := make([]byte, 0, 2+len(derKRB5)+2+len(inner))
	body = append(body, 0x06, byte(len(derKRB5)))
	body = append(body, derKRB5...)
	body = append(body, tokID...)
	body = append(body, inner...)
	return append(appendLen([]byte{0x60}, len(body)), body...)
}

func appendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	default:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
}

// Unframe strips the RFC 2743 framing if present. It returns the inner
// message, the token ID (nil when the token was bare) and whether it was
// framed. A bare token is returned unchanged ([MS-KILE] 3.4.5.1).
func Unframe(in []byte) (inner, tokID []byte, framed bool, err error) {
	if len(in) == 0 {
		return nil, nil, false, ErrMalformed
	}
	if in[0] != 0x60 {
		return in, nil, false, nil
	}
	b := in[1:]
	n, l, ok := readLen(b)
	if !ok || n != len(b)-l {
		return nil, nil, true, fmt.Errorf("%w: GSS framing length", ErrMalformed)
	}
	b = b[l:]
	if len(b) < 2 || b[0] != 0x06 || int(b[1]) > len(b)-2 {
		return nil, nil, true, fmt.Errorf("%w: GSS framing OID", ErrMalformed)
	}
	oid := b[2 : 2+int(b[1])]
	if !bytes.Equal(oid, derKRB5) && !bytes.Equal(oid, derMSKRB5) {
		return nil, nil, true, fmt.Errorf("%w: mechanism OID is not Kerberos", ErrMalformed)
	}
	b = b[2+len(oid):]
	if len(b) < 2 {
		return nil, nil, true, fmt.Errorf("%w: no token ID", ErrMalformed)
	}
	return b[2:], b[:2], true, nil
}

// readLen reads a DER length (at most 3 length octets).
func readLen(b []byte) (n, used int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, true
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 3 || len(b) < 1+k {
		return 0, 0, false
	}
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	return n, 1 + k, true
}

// parse runs an asn1 decoder, turning a panic inside it into ErrMalformed.
func parse(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: decoder panic: %v", ErrMalformed, what, r)
		}
	}()
	if err := f(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	return nil
}

// ParseAPReq decodes a bare or framed AP-REQ.
func ParseAPReq(in []byte) (*messages.APReq, bool, error) {
	if len(in) > MaxTokenSize {
		return nil, false, fmt.Errorf("%w: %d-byte token", ErrMalformed, len(in))
	}
	inner, id, framed, err := Unframe(in)
	if err != nil {
		return nil, framed, err
	}
	if framed && !bytes.Equal(id, tokAPReq) {
		return nil, framed, fmt.Errorf("%w: token ID %x is not AP-REQ", ErrMalformed, id)
	}
	var r messages.APReq
	if err := parse("AP-REQ", func() error { return r.Unmarshal(inner) }); err != nil {
		return nil, framed, err
	}
	if len(r.Ticket.SName.NameString) == 0 {
		return nil, framed, fmt.Errorf("%w: ticket without service name", ErrMalformed)
	}
	return &r, framed, nil
}

// encAPRepPart is EncAPRepPart (RFC 4120 5.5.2) with the sequence number
// always encoded (impacket requires it, and 0 is a valid value).
type encAPRepPart struct {
	CTime          time.Time           `asn1:"generalized,explicit,tag:0"`
	Cusec          int                 `asn1:"explicit,tag:1"`
	Subkey         types.EncryptionKey `asn1:"optional,explicit,tag:2"`
	SequenceNumber int64               `asn1:"explicit,tag:3"`
}

type apRep struct {
	PVNO    int                 `asn1:"explicit,tag:0"`
	MsgType int                 `asn1:"explicit,tag:1"`
	EncPart types.EncryptedData `asn1:"explicit,tag:2"`
}

// marshalAPRep builds an AP-REP whose encrypted part is encrypted with
// the ticket session key (key usage 12).
func marshalAPRep(p encAPRepPart, sessionKey types.EncryptionKey) ([]byte, error) {
	p.CTime = p.CTime.UTC().Truncate(time.Second)
	b, err := asn1.Marshal(p)
	if err != nil {
		return nil, err
	}
	b = asn1tools.AddASNAppTag(b, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(b, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	out, err := asn1.Marshal(apRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(out, asnAppTag.APREP), nil
}

// ParseAPRep decodes and decrypts a bare or framed AP-REP. A KRB-ERROR in
// its place comes back as a *KRBError.
func ParseAPRep(in []byte, sessionKey types.EncryptionKey) (*messages.EncAPRepPart, error) {
	if len(in) > MaxTokenSize {
		return nil, fmt.Errorf("%w: %d-byte token", ErrMalformed, len(in))
	}
	inner, id, framed, err := Unframe(in)
	if err != nil {
		return nil, err
	}
	if (framed && bytes.Equal(id, tokKRBError)) || (len(inner) > 0 && inner[0] == 0x7e) {
		var ke messages.KRBError
		if err := parse("KRB-ERROR", func() error { return ke.Unmarshal(inner) }); err != nil {
			return nil, err
		}
		return nil, &KRBError{Code: ke.ErrorCode, Text: ke.EText}
	}
	if framed && !bytes.Equal(id, tokAPRep) {
		return nil, fmt.Errorf("%w: token ID %x is not AP-REP", ErrMalformed, id)
	}
	var r messages.APRep
	if err := parse("AP-REP", func() error { return r.Unmarshal(inner) }); err != nil {
		return nil, err
	}
	pt, err := crypto.DecryptEncPart(r.EncPart, sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, fmt.Errorf("%w: AP-REP: %v", ErrModified, err)
	}
	var p messages.EncAPRepPart
	if err := parse("EncAPRepPart", func() error { return p.Unmarshal(pt) }); err != nil {
		return nil, err
	}
	return &p, nil
}

// GSS checksum flags (RFC 4121 4.1.1.1; RFC 4757 7.1).
const (
	GSSMutual   = 0x02
	GSSReplay   = 0x04
	GSSSequence = 0x08
	GSSConf     = 0x10
	GSSInteg    = 0x20
	GSSDCEStyle = 0x1000
	cksumGSS    = 0x8003
)

// gssChecksum is the RFC 4121 4.1.1 authenticator checksum without
// channel bindings or delegation.
func gssChecksum(flags uint32) types.Checksum {
	b := make([]byte, 24)
	b[0] = 16
	b[20], b[21], b[22], b[23] = byte(flags), byte(flags>>8), byte(flags>>16), byte(flags>>24)
	return types.Checksum{CksumType: cksumGSS, Checksum: b}
}

// checksumFlags reads the flags of an RFC 4121 checksum; a missing or
// other checksum means no flags ([MS-KILE] 3.4.5).
func checksumFlags(c types.Checksum) (uint32, error) {
	if c.CksumType != cksumGSS {
		return 0, nil
	}
	b := c.Checksum
	if len(b) < 24 || b[0] != 16 || b[1] != 0 || b[2] != 0 || b[3] != 0 {
		return 0, fmt.Errorf("%w: GSS checksum of %d bytes", ErrMalformed, len(b))
	}
	return uint32(b[20]) | uint32(b[21])<<8 | uint32(b[22])<<16 | uint32(b[23])<<24, nil
}
