package rpc

import (
	"errors"
	"fmt"
	"runtime/debug"
)

func (c *serverConn) handleRequest(p *PDU, raw []byte, l layout) bool {
	if p.HasFlag(FlagFirstFrag) && !c.reasm.active {
		ac, ok := c.requestAuth(p)
		if !ok {
			c.fault(p.CallID, 0, StatusAccessDenied, false)
			return false
		}
		c.callAuth = ac
		c.reasm.max = c.stubLimit()
	} else if !c.reasm.active {
		if c.lastCallID-p.CallID < strayCallWindow {
			return true // late fragment of a call that already failed
		}
		return c.protoError(p.CallID, "fragment without a call", p.Type)
	}
	if err := unprotect(raw, p, l, c.callAuth); err != nil {
		c.log.Warn("rpc: request verifier rejected", "call_id", p.CallID, "err", err)
		c.refusedCall(c.callAuth, "request verifier rejected (tampered or replayed)", err)
		c.fault(p.CallID, 0, StatusAccessDenied, false)
		return false
	}
	first, stub, done, err := c.reasm.add(p)
	switch {
	case errors.Is(err, ErrStubTooLarge):
		c.log.Warn("rpc: request stub over limit", "call_id", p.CallID, "limit", c.reasm.max,
			"authenticated", c.authenticated(c.callAuth))
		c.fault(p.CallID, 0, StatusAccessDenied, false)
		return false
	case err != nil:
		return c.protoError(p.CallID, err.Error(), p.Type)
	case !done:
		return true
	}
	c.lastCallID = first.CallID
	return c.dispatch(first, stub, c.callAuth)
}

// requestAuth selects the security context of a call from its first
// fragment. A verifier must name an established context of its type and
// level.
func (c *serverConn) requestAuth(p *PDU) (*authContext, bool) {
	v := p.Auth
	if v == nil {
		return c.connectContext(), true
	}
	ac := c.auths[v.ContextID]
	if ac == nil || !ac.done || ac.failed || ac.typ != v.Type || ac.level != v.Level {
		c.log.Warn("rpc: request under an unusable security context", "auth_context_id", v.ContextID, "call_id", p.CallID)
		if ac == nil || !ac.failed { // a failed handshake was audited as a refused logon
			c.refusedCall(ac, "request under an unusable security context", nil)
		}
		return nil, false
	}
	return ac, true
}

// dispatch checks and runs one reassembled call and writes its answer.
func (c *serverConn) dispatch(first *PDU, stub []byte, ac *authContext) bool {
	req := first.Body.(*Request)
	pc := c.pres[req.ContextID]
	if pc == nil {
		c.fault(first.CallID, req.ContextID, StatusInvalidPresContext, true)
		return true
	}
	ifc := c.srv.lookup(pc.iface)
	if ifc == nil {
		c.fault(first.CallID, req.ContextID, StatusUnknownInterface, true)
		return true
	}
	if lvl, need := c.levelOf(ac), c.minLevel(ifc); lvl < need {
		c.log.Warn("rpc: auth level too low", "interface", ifc.UUID.String(), "level", lvl, "need", need)
		c.refusedCall(ac, fmt.Sprintf("authentication level %d below the required %d (downgrade)", lvl, need), nil)
		c.fault(first.CallID, req.ContextID, StatusAccessDenied, false)
		return false
	}
	if ifc.Opnums > 0 && int(req.Opnum) >= ifc.Opnums {
		c.fault(first.CallID, req.ContextID, StatusOpRangeError, true)
		return true
	}
	call := c.newCall(first, stub, pc, ac)
	if err := c.checkTrailer(call, first); err != nil {
		c.log.Warn("rpc: verification trailer rejected", "call_id", first.CallID, "err", err)
		c.fault(first.CallID, req.ContextID, StatusAccessDenied, false)
		return true
	}
	out, err := c.invoke(ifc.Handler, call)
	if err != nil {
		status, dne := faultStatusOf(err)
		c.log.Debug("rpc: call failed", "opnum", req.Opnum, "status", fmt.Sprintf("0x%08x", status), "err", err)
		c.fault(first.CallID, req.ContextID, status, dne)
		return true
	}
	f := callFrag{ptype: PTypeResponse, callID: first.CallID, ctxID: req.ContextID}
	var respAuth *authContext
	if ac.protects() {
		respAuth = ac
	}
	if err := c.t.sendStub(f, out, respAuth, c.sendFrag); err != nil {
		c.log.Debug("rpc: write response", "err", err)
		return false
	}
	return true
}

func (c *serverConn) levelOf(ac *authContext) AuthLevel {
	if ac == nil {
		return AuthLevelNone
	}
	return effectiveLevel(ac.level)
}

func (c *serverConn) minLevel(ifc *Interface) AuthLevel {
	if ifc.MinLevel != AuthLevelDefault {
		return effectiveLevel(ifc.MinLevel)
	}
	return effectiveLevel(c.srv.cfg.MinLevel)
}

func (c *serverConn) newCall(first *PDU, stub []byte, pc *presContext, ac *authContext) *Call {
	req := first.Body.(*Request)
	call := &Call{
		Opnum: req.Opnum, Syntax: pc.syntax, Stub: stub, Interface: pc.iface,
		ContextID: req.ContextID, CallID: first.CallID, AuthLevel: AuthLevelNone,
		AssocGroup: c.group.id, RemoteAddr: c.nc.RemoteAddr(), LocalAddr: c.nc.LocalAddr(),
	}
	if req.Object != nil {
		call.Object, call.HasObject = *req.Object, true
	}
	if ac != nil {
		call.AuthLevel, call.AuthType, call.AuthContextID = ac.level, ac.typ, ac.id
		call.Peer, call.Security = ac.sc.Peer(), ac.sc
		if call.Peer.Mech == "" && call.Peer.Authenticated() {
			call.Peer.Mech = MechName(ac.typ, ac.sc)
		}
	}
	return call
}

// checkTrailer validates and strips a verification trailer
// ([MS-RPCE] 2.2.2.13, 3.1.1.5.2.2): pcontext and header2 must describe
// this call; an unknown must-process command is rejected.
func (c *serverConn) checkTrailer(call *Call, first *PDU) error {
	vt, off, ok := FindVerificationTrailer(call.Stub)
	if !ok {
		return nil
	}
	if err := vt.Check(); err != nil {
		return err
	}
	if bits, ok := vt.Bitmask(); ok && bits&VTClientSupportsHeaderSigning != 0 && !c.bindHeaderSign {
		return errors.New("CLIENT_SUPPORT_HEADER_SIGNING without PFC_SUPPORT_HEADER_SIGN on the bind")
	}
	if pcx, ok := vt.PContext(); ok {
		pc := c.pres[call.ContextID]
		if pcx.Interface != pc.iface || pcx.Transfer != pc.transfer {
			return errors.New("pcontext mismatch")
		}
	}
	if h, ok := vt.Header2(); ok {
		if h.PType != PTypeRequest || h.DRep != first.DRep || h.CallID != first.CallID ||
			h.ContextID != call.ContextID || h.Opnum != call.Opnum {
			return errors.New("header2 mismatch")
		}
	}
	call.Stub, call.VerificationTrailer = call.Stub[:off], vt
	return nil
}

var errHandlerPanic = errors.New("rpc: handler panicked")

func (c *serverConn) invoke(h Handler, call *Call) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("rpc: handler panic", "opnum", call.Opnum, "interface", call.Interface.UUID.String(),
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			out, err = nil, errHandlerPanic
		}
	}()
	return h.ServeRPC(c.srv.ctx, call)
}
