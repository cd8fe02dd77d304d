package spnego

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// Errors callers may branch on.
var (
	ErrNoNTLM      = errors.New("spnego: peer does not offer NTLMSSP")
	ErrMICRequired = errors.New("spnego: mechListMIC required but absent")
	ErrBadMIC      = errors.New("spnego: mechListMIC verification failed")
	ErrRejected    = errors.New("spnego: peer rejected the negotiation")
	ErrState       = errors.New("spnego: token out of sequence")
)

// ntlmsspMagic starts every raw NTLMSSP message ([MS-NLMP] 2.2).
var ntlmsspMagic = []byte("NTLMSSP\x00")

// serverState is the acceptor's position in the exchange.
type serverState int

const (
	srvStart serverState = iota
	srvMech              // NTLM selected, waiting for NTLM tokens
	srvRaw               // raw NTLMSSP fallback
	srvDone
	srvFailed
)

// Server is a SPNEGO acceptor (RFC 4178 §4.2; [MS-SPNG] 3.2.5) that
// selects NTLM. It implements rpc.SecurityContext.
type Server struct {
	conn
	state       serverState
	mechTypes   []byte // the client's DER MechTypeList
	micRequired bool
	// krb, when set, makes a Kerberos acceptor context (kerberos.go);
	// kerberos records that it was selected, ntlmMech keeps the unused NTLM one.
	krb      func() (Mech, error)
	kerberos bool
	ntlmMech Mech
}

// NewServer wraps an NTLM acceptor context.
func NewServer(mech Mech) *Server { return &Server{conn: conn{mech: mech}} }

// Step consumes one client token. On failure it returns a
// negTokenResp{reject} for the caller to send (if its transport can) along
// with the error.
func (s *Server) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	out, done, err := s.step(ctx, in)
	if err != nil && s.state != srvRaw {
		s.state = srvFailed
		return rejectToken(), false, err
	}
	return out, done, err
}

// step dispatches on the state.
func (s *Server) step(ctx context.Context, in []byte) ([]byte, bool, error) {
	switch s.state {
	case srvStart:
		if bytes.HasPrefix(in, ntlmsspMagic) {
			s.state = srvRaw
			return s.stepRaw(ctx, in)
		}
		return s.stepInit(ctx, in)
	case srvMech:
		return s.stepResp(ctx, in)
	case srvRaw:
		return s.stepRaw(ctx, in)
	}
	return nil, false, ErrState
}

// stepRaw passes a raw NTLMSSP exchange through unchanged.
func (s *Server) stepRaw(ctx context.Context, in []byte) ([]byte, bool, error) {
	out, done, err := s.mech.Step(ctx, in)
	if done && err == nil {
		s.state = srvDone
	}
	return out, done, err
}

// stepInit handles the client's NegTokenInit: select NTLM, and run the
// optimistic token only if it is an NTLM one.
func (s *Server) stepInit(ctx context.Context, in []byte) ([]byte, bool, error) {
	init, err := DecodeInit(in)
	if err != nil {
		return nil, false, err
	}
	if out, done, handled, err := s.tryKerberos(ctx, init); handled {
		return out, done, err
	}
	first, ok := ntlmIndex(init)
	if !ok {
		return nil, false, ErrNoNTLM
	}
	s.mechTypes = init.RawMechTypes
	s.micRequired = !first
	s.state = srvMech
	resp := &NegTokenResp{NegState: AcceptIncomplete, SupportedMech: OIDNTLMSSP}
	if !first || init.MechToken == nil {
		return marshalResp(resp, false, nil)
	}
	tok, done, err := s.mech.Step(ctx, init.MechToken)
	if err != nil {
		return nil, false, err
	}
	if done {
		return s.finish(tok, init.MechListMIC, resp)
	}
	resp.ResponseToken = tok
	return marshalResp(resp, false, nil)
}

// ntlmIndex reports whether NTLM is offered and whether it is first.
func ntlmIndex(t *NegTokenInit) (first, ok bool) {
	for i, m := range t.MechTypes {
		if m.Equal(OIDNTLMSSP) {
			return i == 0, true
		}
	}
	return false, false
}

// stepResp handles a client NegTokenResp carrying an NTLM token.
func (s *Server) stepResp(ctx context.Context, in []byte) ([]byte, bool, error) {
	r, err := DecodeResp(in)
	if err != nil {
		return nil, false, err
	}
	if r.NegState == Reject {
		return nil, false, ErrRejected
	}
	if r.ResponseToken == nil {
		return nil, false, errors.New("spnego: negTokenResp without responseToken")
	}
	tok, done, err := s.mech.Step(ctx, r.ResponseToken)
	if err != nil {
		return nil, false, err
	}
	resp := &NegTokenResp{NegState: AcceptIncomplete, ResponseToken: tok}
	if s.kerberos && done && r.MechListMIC == nil {
		// Kerberos was the client's first choice: no mechListMIC is
		// required, and none is sent back (impacket sends none).
		s.state = srvDone
		resp.NegState = AcceptCompleted
		return marshalResp(resp, true, nil)
	}
	if done {
		return s.finish(tok, r.MechListMIC, resp)
	}
	return marshalResp(resp, false, nil)
}

// finish completes the exchange once the mech is done: verify the
// client's mechListMIC, send ours, then reset the RC4 handles
// ([MS-SPNG] 3.2.5.1, 3.3.5.1: the sequence numbers are kept).
func (s *Server) finish(tok, clientMIC []byte, resp *NegTokenResp) ([]byte, bool, error) {
	resp.NegState = AcceptCompleted
	resp.ResponseToken = tok
	if clientMIC == nil {
		if s.micRequired || mechSawMIC(s.mech) {
			return nil, false, ErrMICRequired
		}
		s.state = srvDone
		return marshalResp(resp, true, nil)
	}
	if err := s.mech.VerifyMIC(s.mechTypes, clientMIC); err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrBadMIC, err)
	}
	mic, err := s.mech.GetMIC(s.mechTypes)
	if err != nil {
		return nil, false, err
	}
	if err := s.mech.ResetCrypto(); err != nil {
		return nil, false, err
	}
	resp.MechListMIC = mic
	s.state = srvDone
	return marshalResp(resp, true, nil)
}

// marshalResp encodes r and returns it as a Step result.
func marshalResp(r *NegTokenResp, done bool, err error) ([]byte, bool, error) {
	if err != nil {
		return nil, false, err
	}
	b, err := r.Marshal()
	if err != nil {
		return nil, false, err
	}
	return b, done, nil
}

// rejectToken is negTokenResp{negState reject}.
func rejectToken() []byte {
	b, _ := (&NegTokenResp{NegState: Reject}).Marshal()
	return b
}

// micReporter is implemented by NTLM acceptors that know whether the
// AUTHENTICATE_MESSAGE carried a MIC; the mechListMIC is then mandatory
// ([MS-SPNG] 3.1.5.1 <8>).
type micReporter interface{ MICPresent() bool }

// mechSawMIC reports whether the mech says the client sent an NTLM MIC.
func mechSawMIC(m Mech) bool {
	r, ok := m.(micReporter)
	return ok && r.MICPresent()
}
