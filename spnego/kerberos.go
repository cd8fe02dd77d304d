package spnego

import (
	"context"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/rpc"
)

// Kerberos inside SPNEGO (RFC 4178; [MS-SPNG] 3.2.5, 3.3.5; RFC 4121 as
// bound to DCE by [MS-KILE] 3.4.5.1). The acceptor selects Kerberos when
// the client lists a Kerberos OID first and sends an optimistic AP-REQ
// (GSS-framed as impacket sends it, or bare as Samba does); it echoes the
// OID the client listed first as supportedMech (the Microsoft OID
// 1.2.840.48018.1.2.2 when the client led with it, [MS-SPNG] 3.2.5.2). The
// DCE third leg travels in the client's next NegTokenResp, so the
// exchange has four legs: bind(Init+AP-REQ), bind_ack(incomplete+AP-REP),
// alter_context(third leg [+mechListMIC]), alter_context_resp(completed
// [+mechListMIC]). A mechListMIC from the client is verified and answered;
// none is demanded because Kerberos was the client's first choice
// (RFC 4178 5). Without a usable Kerberos token (none sent, no keytab,
// or a ticket for a principal we do not serve) the acceptor falls back to
// NTLM if the client offered it.

// isKerberosOID reports whether oid names Kerberos V5 (standard or MS).
func isKerberosOID(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(OIDKerberos) || oid.Equal(OIDMSKerberos)
}

// Mech returns the selected mechanism context (nil before selection), so
// callers can reach mechanism details such as kerberos.Identity.
func (c *conn) Mech() Mech { return c.mech }

// SealSize reports the mech's sealed verifier size (rpc.SealSizer).
func (c *conn) SealSize() int {
	if s, ok := c.mech.(rpc.SealSizer); ok {
		return s.SealSize()
	}
	return c.mech.SignatureSize()
}

// HeaderSignOptional forwards the mech's header-signing rule.
func (c *conn) HeaderSignOptional() bool {
	h, ok := c.mech.(rpc.HeaderSignOptional)
	return ok && h.HeaderSignOptional()
}

// MechName names the negotiated mechanism: "Kerberos" or "NTLM".
func (c *conn) MechName() string {
	if _, ok := c.mech.(*kerberos.Server); ok {
		return "Kerberos"
	}
	if _, ok := c.mech.(*kerberos.Client); ok {
		return "Kerberos"
	}
	return "NTLM"
}

// NewServerWithKerberos is NewServer that can also select Kerberos,
// creating its context with krb when the client asks for it.
func NewServerWithKerberos(ntlmMech Mech, krb func() (Mech, error)) *Server {
	s := NewServer(ntlmMech)
	s.krb = krb
	return s
}

// tryKerberos selects Kerberos for a NegTokenInit when the client leads
// with it and sent a token we can use. handled=false means fall back.
func (s *Server) tryKerberos(ctx context.Context, init *NegTokenInit) (out []byte, done, handled bool, err error) {
	if s.krb == nil || len(init.MechTypes) == 0 || !isKerberosOID(init.MechTypes[0]) || init.MechToken == nil {
		return nil, false, false, nil
	}
	m, err := s.krb()
	if err != nil {
		return nil, false, false, nil
	}
	tok, done, err := m.Step(ctx, init.MechToken)
	if err != nil {
		_, ntlmOffered := ntlmIndex(init)
		if ntlmOffered && (errors.Is(err, kerberos.ErrNoKey) || errors.Is(err, kerberos.ErrWrongPrincipal)) {
			return nil, false, false, nil
		}
		return nil, false, true, err
	}
	s.ntlmMech, s.conn.mech = s.conn.mech, m
	s.kerberos = true
	s.mechTypes = init.RawMechTypes
	s.state = srvMech
	resp := &NegTokenResp{NegState: AcceptIncomplete, SupportedMech: init.MechTypes[0], ResponseToken: tok}
	if done {
		out, done, err = s.finish(tok, init.MechListMIC, resp)
		return out, done, true, err
	}
	out, done, err = marshalResp(resp, false, nil)
	return out, done, true, err
}

// KerberosClient is a SPNEGO initiator offering Kerberos only (the MS
// OID first, as Windows does, then the standard one) with an optimistic
// GSS-framed AP-REQ. It implements rpc.SecurityContext.
type KerberosClient struct {
	conn
	krb       *kerberos.Client
	state     clientState
	mechTypes []byte
	sentMIC   bool
}

// NewKerberosClient wraps a Kerberos initiator; its config must frame
// the AP-REQ (kerberos.ClientConfig.Framed).
func NewKerberosClient(krb *kerberos.Client) *KerberosClient {
	return &KerberosClient{conn: conn{mech: krb}, krb: krb}
}

// Step: nil gives NegTokenInit{MS-KRB5, KRB5; AP-REQ}; the acceptor's
// AP-REP gives the third leg and our mechListMIC; accept-completed ends.
func (c *KerberosClient) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	out, done, err := c.step(ctx, in)
	if err != nil {
		c.state = cliFailed
	}
	return out, done, err
}

func (c *KerberosClient) step(ctx context.Context, in []byte) ([]byte, bool, error) {
	switch c.state {
	case cliStart:
		tok, _, err := c.krb.Step(ctx, nil)
		if err != nil {
			return nil, false, err
		}
		init := &NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDMSKerberos, OIDKerberos}, MechToken: tok}
		if c.mechTypes, err = MechTypeList(init.MechTypes); err != nil {
			return nil, false, err
		}
		out, err := init.Marshal()
		if err != nil {
			return nil, false, err
		}
		c.state = cliChallenge
		return out, false, nil
	case cliChallenge:
		r, err := decodeServerResp(in)
		if err != nil {
			return nil, false, err
		}
		if r.SupportedMech != nil && !isKerberosOID(r.SupportedMech) {
			return nil, false, fmt.Errorf("spnego: acceptor selected %v, not Kerberos", r.SupportedMech)
		}
		if r.ResponseToken == nil {
			return nil, false, errors.New("spnego: acceptor sent no AP-REP")
		}
		third, _, err := c.krb.Step(ctx, r.ResponseToken)
		if err != nil {
			return nil, false, err
		}
		mic, err := c.krb.GetMIC(c.mechTypes)
		if err != nil {
			return nil, false, err
		}
		c.sentMIC = true
		c.state = cliFinal
		return marshalResp(&NegTokenResp{NegState: AcceptIncomplete, ResponseToken: third, MechListMIC: mic}, false, nil)
	case cliFinal:
		r, err := decodeServerResp(in)
		if err != nil {
			return nil, false, err
		}
		if r.NegState != AcceptCompleted {
			return nil, false, fmt.Errorf("spnego: unexpected negState %v", r.NegState)
		}
		if r.MechListMIC == nil {
			return nil, false, ErrMICRequired
		}
		if err := c.krb.VerifyMIC(c.mechTypes, r.MechListMIC); err != nil {
			return nil, false, fmt.Errorf("%w: %v", ErrBadMIC, err)
		}
		c.state = cliDone
		return nil, true, nil
	}
	return nil, false, ErrState
}
