package rpc

import "time"

// connLimits is a connection's admission state (see admission.go): its
// slot, whether it authenticated, and the clocks of its deadlines.
type connLimits struct {
	admitted bool // holds a pre-authentication slot
	admin    bool // holds an administrator's slot
	authed   bool // an authenticated context at the required level exists

	accepted   time.Time // when accepted: the pre-authentication deadline runs from here
	lastUseful time.Time // last bind, alter_context, auth3 or request fragment
}

// stubLimit is the most a call may reassemble ([MS-RPCE] 3.3.3.5.4): the
// configured MaxStub under an authenticated (not anonymous) security
// context at the required level, else a few fragments of the negotiated
// size (PreAuthMaxStub), so that nothing unauthenticated holds more than a
// small fixed amount of memory. The reassembler is given it at each
// call's first fragment.
func (c *serverConn) stubLimit() int {
	cfg := &c.srv.cfg
	if c.authenticated(c.callAuth) {
		return cfg.MaxStub
	}
	if cfg.PreAuthMaxStub > 0 {
		return min(cfg.PreAuthMaxStub, cfg.MaxStub)
	}
	return min(preAuthFragments*max(c.maxFrag, minNegotiatedFragment), cfg.MaxStub)
}

// requiredLevel is the level a context must have to count as
// authenticated on this server: the server's MinLevel, at least connect.
func (c *serverConn) requiredLevel() AuthLevel {
	return max(effectiveLevel(c.srv.cfg.MinLevel), AuthLevelConnect)
}

// authenticated reports whether ac is an established context of a named
// peer at the required level.
func (c *serverConn) authenticated(ac *authContext) bool {
	return ac != nil && ac.done && !ac.failed && effectiveLevel(ac.level) >= c.requiredLevel() &&
		ac.sc.Peer().Authenticated()
}

// established is called when a handshake completes: an authenticated
// connection loses its pre-authentication deadline, and an
// administrator's moves to the reserved slots.
func (c *serverConn) established(ac *authContext) {
	if !c.authenticated(ac) {
		return
	}
	if !c.authed {
		c.srv.adm.authed.Add(1)
	}
	c.authed = true
	if ac.sc.Peer().Admin {
		c.srv.promoteAdmin(c)
	}
}

// noteActivity records a PDU that keeps a connection alive: bind,
// alter_context, auth3 and request. co_cancel, orphaned and anything else
// do not reset the idle clock, so they cannot hold a connection forever.
func (c *serverConn) noteActivity(p *PDU) {
	switch p.Type {
	case PTypeBind, PTypeAlterContext, PTypeAuth3, PTypeRequest:
		c.lastUseful = time.Now()
	}
}

// readDeadline is when the next read gives up: the handshake timeout
// before the bind and while a handshake is pending, else the idle
// timeout, both counted from the last useful PDU; and, until the
// connection has authenticated, never later than HandshakeTimeout after
// accept (the handshake deadline).
func (c *serverConn) readDeadline() time.Time {
	if c.lastUseful.IsZero() {
		c.lastUseful = c.accepted
	}
	d := c.lastUseful.Add(c.readTimeout())
	if !c.authed {
		if hd := c.accepted.Add(c.srv.cfg.HandshakeTimeout); hd.Before(d) {
			d = hd
		}
	}
	return d
}
