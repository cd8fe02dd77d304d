package spnego

import (
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
)

// clientState is the initiator's position in the exchange.
type clientState int

const (
	cliStart     clientState = iota
	cliChallenge             // NegTokenInit sent, waiting for the CHALLENGE
	cliFinal                 // AUTHENTICATE + mechListMIC sent
	cliDone
	cliFailed
)

// Client is a SPNEGO initiator (RFC 4178 §4.2; [MS-SPNG] 3.3.5) offering
// NTLM only. It implements rpc.SecurityContext.
type Client struct {
	conn
	state      clientState
	mechTypes  []byte // our DER MechTypeList
	micRequest bool   // the acceptor answered request-mic
}

// NewClient wraps an NTLM initiator context.
func NewClient(mech Mech) *Client { return &Client{conn: conn{mech: mech}} }

// Step produces the next token: Step(nil) gives the NegTokenInit; the
// acceptor's CHALLENGE gives AUTHENTICATE + mechListMIC (done=false);
// the final accept-completed gives (nil, true).
func (c *Client) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	out, done, err := c.step(ctx, in)
	if err != nil {
		c.state = cliFailed
	}
	return out, done, err
}

// step dispatches on the state.
func (c *Client) step(ctx context.Context, in []byte) ([]byte, bool, error) {
	switch c.state {
	case cliStart:
		return c.stepInit(ctx, in)
	case cliChallenge:
		return c.stepChallenge(ctx, in)
	case cliFinal:
		return c.stepFinal(in)
	}
	return nil, false, ErrState
}

// stepInit builds NegTokenInit{[NTLM], NEGOTIATE}. A server-initiated
// NegTokenInit2 ([MS-SPNG] 3.3.5.2) as input is checked and otherwise
// ignored.
func (c *Client) stepInit(ctx context.Context, in []byte) ([]byte, bool, error) {
	if in != nil {
		if err := checkServerInit(in); err != nil {
			return nil, false, err
		}
	}
	tok, _, err := c.mech.Step(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	init := &NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDNTLMSSP}, MechToken: tok}
	if c.mechTypes, err = MechTypeList(init.MechTypes); err != nil {
		return nil, false, err
	}
	out, err := init.Marshal()
	if err != nil {
		return nil, false, err
	}
	c.state = cliChallenge
	return out, false, nil
}

// checkServerInit accepts a NegTokenInit2 hint that lists NTLM (or no
// mechanisms at all).
func checkServerInit(in []byte) error {
	t, err := DecodeInit(in)
	if err != nil {
		return err
	}
	if _, ok := ntlmIndex(t); !ok && len(t.MechTypes) > 0 {
		return ErrNoNTLM
	}
	return nil
}

// stepChallenge feeds the CHALLENGE to the mech and answers with
// AUTHENTICATE and our mechListMIC, computed over our MechTypeList with
// client->server sequence number 0.
func (c *Client) stepChallenge(ctx context.Context, in []byte) ([]byte, bool, error) {
	r, err := decodeServerResp(in)
	if err != nil {
		return nil, false, err
	}
	if r.SupportedMech != nil && !r.SupportedMech.Equal(OIDNTLMSSP) {
		return nil, false, fmt.Errorf("spnego: acceptor selected %v", r.SupportedMech)
	}
	if r.NegState != AcceptIncomplete && r.NegState != RequestMIC {
		return nil, false, fmt.Errorf("spnego: unexpected negState %v", r.NegState)
	}
	if r.ResponseToken == nil {
		return nil, false, errors.New("spnego: acceptor sent no NTLM challenge")
	}
	c.micRequest = r.NegState == RequestMIC
	tok, _, err := c.mech.Step(ctx, r.ResponseToken)
	if err != nil {
		return nil, false, err
	}
	mic, err := c.mech.GetMIC(c.mechTypes)
	if err != nil {
		return nil, false, err
	}
	c.state = cliFinal
	return marshalResp(&NegTokenResp{NegState: AcceptIncomplete, ResponseToken: tok, MechListMIC: mic}, false, nil)
}

// stepFinal checks accept-completed and the acceptor's mechListMIC, then
// resets the RC4 handles ([MS-SPNG] 3.3.5.1).
func (c *Client) stepFinal(in []byte) ([]byte, bool, error) {
	r, err := decodeServerResp(in)
	if err != nil {
		return nil, false, err
	}
	if r.NegState != AcceptCompleted {
		return nil, false, fmt.Errorf("spnego: unexpected negState %v", r.NegState)
	}
	if r.ResponseToken != nil {
		return nil, false, errors.New("spnego: unexpected NTLM token after AUTHENTICATE")
	}
	if r.MechListMIC == nil && c.micRequest {
		return nil, false, ErrMICRequired
	}
	if r.MechListMIC != nil {
		if err := c.mech.VerifyMIC(c.mechTypes, r.MechListMIC); err != nil {
			return nil, false, fmt.Errorf("%w: %v", ErrBadMIC, err)
		}
	}
	if err := c.mech.ResetCrypto(); err != nil {
		return nil, false, err
	}
	c.state = cliDone
	return nil, true, nil
}

// decodeServerResp parses an acceptor token and maps reject to an error.
func decodeServerResp(in []byte) (*NegTokenResp, error) {
	r, err := DecodeResp(in)
	if err != nil {
		return nil, err
	}
	if r.NegState == Reject {
		return nil, ErrRejected
	}
	return r, nil
}
