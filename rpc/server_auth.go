package rpc

import (
	"context"
	"errors"
)

// authLeg runs one server handshake leg for the verifier of a bind or
// alter_context and returns the verifier to answer with. On failure it
// returns the bind_nak reason ([MS-RPCE] 3.3.1.5.2.1, 3.3.3.5.3).
func (c *serverConn) authLeg(p *PDU) (*Verifier, uint16, bool) {
	v := p.Auth
	if v == nil {
		return nil, 0, true
	}
	ac, reason := c.authFor(v)
	if ac == nil {
		return nil, reason, false
	}
	if !ac.done && p.HasFlag(FlagSupportHeaderSign) && effectiveLevel(v.Level) >= AuthLevelIntegrity {
		ac.headerSign = true // ackPDU echoes the flag ([MS-RPCE] 3.3.1.5.2.2)
	}
	if ac.done {
		if len(v.Token) == 0 {
			return nil, 0, true
		}
		c.log.Warn("rpc: re-authentication of an established context", "auth_context_id", v.ContextID)
		return nil, NakInvalidChecksum, false
	}
	out, done, err := c.step(ac, v.Token)
	if err != nil {
		return nil, NakInvalidChecksum, false
	}
	ac.done = done
	if out == nil {
		return nil, 0, true
	}
	return &Verifier{Type: v.Type, Level: v.Level, ContextID: v.ContextID, Token: out}, 0, true
}

// authFor finds or creates the context a verifier names.
func (c *serverConn) authFor(v *Verifier) (*authContext, uint16) {
	if ac := c.auths[v.ContextID]; ac != nil {
		if ac.typ != v.Type || ac.failed {
			return nil, NakInvalidChecksum
		}
		return ac, 0
	}
	acc := c.srv.acceptor(v.Type)
	if acc == nil {
		c.log.Warn("rpc: unknown auth type", "auth_type", v.Type)
		return nil, NakAuthTypeNotRecognized
	}
	if v.Level < AuthLevelConnect || v.Level > AuthLevelPrivacy {
		c.log.Warn("rpc: bad auth level", "auth_level", v.Level)
		return nil, NakInvalidChecksum
	}
	if len(c.auths) >= maxAuthContexts {
		return nil, NakLocalLimitExceeded
	}
	sc, err := acc.NewServerContext()
	if err != nil {
		c.log.Error("rpc: new security context", "err", err)
		return nil, NakReasonNotSpecified
	}
	ac := &authContext{id: v.ContextID, typ: v.Type, level: v.Level, sc: sc}
	c.auths[v.ContextID] = ac
	return ac, 0
}

func (c *serverConn) step(ac *authContext, in []byte) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(c.srv.ctx, c.srv.cfg.HandshakeTimeout)
	defer cancel()
	g := c.srv.cfg.Throttle.gate(c.ip)
	out, done, err := ac.sc.Step(WithLogonGate(ctx, g), in)
	if err != nil {
		ac.failed = true
		reason := logonReason(err, g)
		if errors.Is(err, ErrLogonThrottled) {
			// Refused unchecked: counted in the throttle's summary (log
			// and audit trail) rather than one line each, so a flood of
			// attempts cannot flood the trail.
			c.log.Debug("rpc: logon throttled", "auth_context_id", ac.id, "user", g.user, "err", err)
			return nil, false, err
		}
		c.log.Warn("rpc: authentication failed", "auth_context_id", ac.id, "auth_type", ac.typ,
			"user", g.user, "reason", reason, "err", err)
		c.securityEvent(SecurityEvent{Kind: "logon", Mechanism: ac.typ.mechanism(), Level: ac.level,
			User: g.user, Reason: reason, Err: err})
		return nil, false, err
	}
	if done {
		ac.done = true
		c.established(ac)
		// Debug: one line per connection is too much on the call path
		// (a fleet's status is 2 connections per host); failures are Warn,
		// and dcom logs each activation with its caller at Info.
		c.log.Debug("rpc: authenticated", "auth_context_id", ac.id, "auth_type", ac.typ,
			"auth_level", ac.level, "peer", ac.sc.Peer().String())
	}
	return out, done, nil
}

// handleAuth3 runs the third leg; auth3 is never answered. A failure
// surfaces as fault 5 on the next request under that context.
func (c *serverConn) handleAuth3(p *PDU) bool {
	v := p.Auth
	if v == nil {
		return c.protoError(p.CallID, "auth3 without verifier", p.Type)
	}
	ac := c.auths[v.ContextID]
	if ac == nil || ac.done || ac.failed || ac.typ != v.Type {
		c.log.Warn("rpc: auth3 for no pending context", "auth_context_id", v.ContextID)
		if ac != nil {
			ac.failed = true
		}
		return true
	}
	_, done, err := c.step(ac, v.Token)
	if err == nil && !done {
		c.log.Warn("rpc: handshake incomplete after auth3", "auth_context_id", v.ContextID)
		ac.failed = true
	}
	ac.done = done && err == nil
	return true
}

// connectContext is the context governing requests without a verifier:
// an established connect-level one, else none.
func (c *serverConn) connectContext() *authContext {
	var best *authContext
	for _, a := range c.auths {
		if a.done && !a.failed && a.level == AuthLevelConnect && (best == nil || a.id < best.id) {
			best = a
		}
	}
	return best
}
