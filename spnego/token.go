package spnego

import (
	"encoding/asn1"
	"fmt"
)

// NegState is the negState of a NegTokenResp (RFC 4178 §4.2.2).
type NegState int

// negState values. NoNegState marks an absent field.
const (
	NoNegState       NegState = -1
	AcceptCompleted  NegState = 0
	AcceptIncomplete NegState = 1
	Reject           NegState = 2
	RequestMIC       NegState = 3
)

// String names the state as RFC 4178 does.
func (s NegState) String() string {
	switch s {
	case NoNegState:
		return "absent"
	case AcceptCompleted:
		return "accept-completed"
	case AcceptIncomplete:
		return "accept-incomplete"
	case Reject:
		return "reject"
	case RequestMIC:
		return "request-mic"
	}
	return fmt.Sprintf("negState(%d)", int(s))
}

// NegTokenInit is RFC 4178 §4.2.1 NegTokenInit, extended with the
// [MS-SPNG] 2.2.1 NegTokenInit2 negHints. Byte-slice fields are nil when
// absent. When NegHints is set the token is a NegTokenInit2 and its
// mechListMIC uses tag [4] instead of [3].
type NegTokenInit struct {
	MechTypes   []asn1.ObjectIdentifier
	ReqFlags    []byte // raw BIT STRING contents (ignored, [MS-SPNG] 3.1.5.3)
	MechToken   []byte
	NegHints    *NegHints
	MechListMIC []byte

	// RawMechTypes is the DER MechTypeList exactly as decoded (the
	// SEQUENCE element inside [0]); the mechListMIC covers these bytes.
	// Marshal ignores it.
	RawMechTypes []byte
}

// NegHints is [MS-SPNG] 2.2.1 NegHints. Both fields are nil when absent.
type NegHints struct {
	HintName    []byte // GeneralString
	HintAddress []byte
}

// NegTokenResp is RFC 4178 §4.2.2 NegTokenResp. Byte-slice fields and
// SupportedMech are nil when absent; NegState is NoNegState when absent.
type NegTokenResp struct {
	NegState      NegState
	SupportedMech asn1.ObjectIdentifier
	ResponseToken []byte
	MechListMIC   []byte
}

// MechTypeList returns the DER MechTypeList (SEQUENCE OF MechType).
func MechTypeList(mechs []asn1.ObjectIdentifier) ([]byte, error) {
	var body []byte
	for _, m := range mechs {
		var err error
		if body, err = appendOID(body, m); err != nil {
			return nil, err
		}
	}
	return appendTLV(nil, tagSequence, body), nil
}
