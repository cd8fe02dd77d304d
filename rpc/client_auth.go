package rpc

import (
	"context"
	"fmt"
)

// startAuth creates a client security context and its first token.
func (c *Conn) startAuth(ctx context.Context, o *AuthOptions) (*authContext, *Verifier, error) {
	if o.Initiator == nil || o.Level < AuthLevelConnect || o.Level > AuthLevelPrivacy {
		return nil, nil, fmt.Errorf("rpc: bad auth options (level %d)", o.Level)
	}
	sc, err := o.Initiator.NewClientContext()
	if err != nil {
		return nil, nil, err
	}
	ac := &authContext{id: c.nextAuthID, typ: o.Initiator.AuthType(), level: o.Level, sc: sc}
	c.nextAuthID++
	out, done, err := sc.Step(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	ac.done = done
	return ac, ac.verifier(out), nil
}

func (a *authContext) verifier(tok []byte) *Verifier {
	return &Verifier{Type: a.typ, Level: a.level, ContextID: a.id, Token: tok}
}

// finishAuth completes the handshake begun in a bind or alter
// ([MS-RPCE] 3.3.1.5.2): a final token goes in auth3 (3 legs); a token
// with more to come goes in alter_context, whose answer is stepped again
// (SPNEGO).
func (c *Conn) finishAuth(ctx context.Context, ac *authContext, ack *PDU, callID uint32, elems []ContextElement) error {
	ac.headerSign = ack.HasFlag(FlagSupportHeaderSign)
	for !ac.done {
		if ack.Auth == nil {
			return fmt.Errorf("%w: server sent no token", ErrAuth)
		}
		out, done, err := ac.sc.Step(ctx, ack.Auth.Token)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrAuth, err)
		}
		if done {
			ac.done = true
			if out != nil {
				return c.sendAuth3(ac, callID, out)
			}
			return nil
		}
		if out == nil {
			return fmt.Errorf("%w: handshake stalled", ErrAuth)
		}
		callID = c.callID()
		if ack, err = c.exchange(PTypeAlterContext, callID, elems, ac.verifier(out)); err != nil {
			return err
		}
	}
	return nil
}

func (c *Conn) sendAuth3(ac *authContext, callID uint32, tok []byte) error {
	p := &PDU{Header: Header{Version: 5, Type: PTypeAuth3, Flags: FlagFirstFrag | FlagLastFrag, CallID: callID},
		Body: &Auth3{}, Auth: ac.verifier(tok)}
	if effectiveLevel(ac.level) >= AuthLevelIntegrity {
		p.Flags |= FlagSupportHeaderSign
	}
	return c.t.writePDU(p, nil)
}
