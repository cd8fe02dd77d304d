package rpc

import (
	"fmt"
)

// authContext is one security context on a connection, keyed by
// auth_context_id ([MS-RPCE] 3.3.1.5.2, 2.2.2.11).
type authContext struct {
	id     uint32
	typ    AuthType
	level  AuthLevel
	sc     SecurityContext
	done   bool // handshake complete
	failed bool // handshake failed: calls get fault 5
	// headerSign records whether header signing was negotiated: on the
	// client, the server echoed SUPPORT_HEADER_SIGN; on the server, the
	// first leg asked for it (and the answer echoes it). It changes
	// nothing for NTLM and SPNEGO/NTLM, which sign the whole PDU either
	// way ([MS-NLMP] 3.4.6.1; Windows, impacket and Samba agree); Kerberos
	// covers header and sec_trailer only when it is set (bodyOnly).
	headerSign bool
}

// effectiveLevel maps call (3) to packet (4) as Windows does.
func effectiveLevel(l AuthLevel) AuthLevel {
	if l == AuthLevelCall {
		return AuthLevelPkt
	}
	return l
}

// protects reports whether requests and responses under a carry a
// verifier (level packet and above).
func (a *authContext) protects() bool {
	return a != nil && a.done && effectiveLevel(a.level) >= AuthLevelPkt
}

// protect marshals p onto b. Request and response PDUs under a context
// that protects get a verifier: the MAC over header, body, pad and
// sec_trailer with the final lengths, and at privacy the stub and pad
// sealed ([MS-RPCE] 2.2.2.11, 3.3.1.5.2.2; [MS-NLMP] 3.4.6).
func protect(b []byte, p *PDU, a *authContext) ([]byte, error) {
	if !hasStub(p) || !a.protects() {
		b, _, err := p.marshal(b)
		return b, err
	}
	n := a.sc.SignatureSize()
	priv := effectiveLevel(a.level) == AuthLevelPrivacy
	if ss, ok := a.sc.(SealSizer); ok && priv {
		n = ss.SealSize()
	}
	p.Auth = &Verifier{Type: a.typ, Level: a.level, ContextID: a.id, Token: make([]byte, n)}
	b, l, err := p.marshal(b)
	if err != nil {
		return nil, err
	}
	msg := b[:len(b)-n]
	data := msg[l.stub:l.trailer]
	if a.bodyOnly() {
		msg = data
	}
	var sig []byte
	if priv {
		sig, err = a.sc.Seal(msg, data)
	} else {
		sig, err = a.sc.Sign(msg)
	}
	if err != nil {
		return nil, fmt.Errorf("rpc: protect %v: %w", p.Type, err)
	}
	if len(sig) != n {
		return nil, fmt.Errorf("rpc: protect %v: %d-byte signature, want %d", p.Type, len(sig), n)
	}
	copy(b[len(b)-n:], sig)
	return b, nil
}

// unprotect checks the verifier of a received request or response
// fragment and unseals its stub in place. raw is the whole fragment.
func unprotect(raw []byte, p *PDU, l layout, a *authContext) error {
	if !a.protects() {
		return nil
	}
	v := p.Auth
	if v == nil {
		return fmt.Errorf("%w: %v without verifier", ErrAuth, p.Type)
	}
	if v.ContextID != a.id || v.Type != a.typ || v.Level != a.level {
		return fmt.Errorf("%w: verifier context %d type %d level %d, want %d/%d/%d",
			ErrAuth, v.ContextID, v.Type, v.Level, a.id, a.typ, a.level)
	}
	msg := raw[:l.trailer+SecTrailerSize]
	data := msg[l.stub:l.trailer]
	if a.bodyOnly() {
		msg = data
	}
	var err error
	if effectiveLevel(a.level) == AuthLevelPrivacy {
		err = a.sc.Unseal(msg, data, v.Token)
	} else {
		err = a.sc.Verify(msg, v.Token)
	}
	if err != nil {
		return fmt.Errorf("%w: %v verifier: %v", ErrAuth, p.Type, err)
	}
	return nil
}

// bodyOnly reports whether the verifier covers the body alone: a
// HeaderSignOptional mechanism without negotiated header signing
// ([MS-RPCE] 3.3.1.5.2.2).
func (a *authContext) bodyOnly() bool {
	h, ok := a.sc.(HeaderSignOptional)
	return ok && h.HeaderSignOptional() && !a.headerSign
}

func hasStub(p *PDU) bool {
	return p.Type == PTypeRequest || p.Type == PTypeResponse
}
