package rpc

import (
	"encoding/binary"
	"net"
	"strconv"

	"github.com/iisctl/iisctl/ndr"
)

// Bind-time feature negotiation ([MS-RPCE] 2.2.2.14, 3.3.1.5.3).
const (
	FeatureSecurityContextMultiplexing uint16 = 0x0001
	FeatureKeepConnectionOnOrphan      uint16 = 0x0002
)

// btfnPrefix is the first 8 wire bytes of 6CB71C2C-9812-4540-xxxx-....
var btfnPrefix = [8]byte{0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45}

// FeatureSyntax returns the bind-time feature negotiation transfer syntax
// carrying bitmask in its last 8 bytes.
func FeatureSyntax(bitmask uint16) SyntaxID {
	var g ndr.GUID
	copy(g[:], btfnPrefix[:])
	binary.LittleEndian.PutUint64(g[8:], uint64(bitmask))
	return SyntaxID{UUID: g, Major: 1}
}

// featureBits reports whether s is a bind-time feature syntax and its bitmask.
func featureBits(s SyntaxID) (uint16, bool) {
	if [8]byte(s.UUID[:8]) != btfnPrefix {
		return 0, false
	}
	return uint16(binary.LittleEndian.Uint64(s.UUID[8:])), true
}

func syntaxOf(s SyntaxID) (ndr.Syntax, bool) {
	switch s {
	case SyntaxNDR20:
		return ndr.NDR20, true
	case SyntaxNDR64:
		return ndr.NDR64, true
	}
	return 0, false
}

// negotiateFrag applies Windows' rule: max(2048, min(xmit, recv, cap)),
// rounded down to a multiple of 8 (the floor drops to cap when cap is
// configured below 2048).
func negotiateFrag(xmit, recv, limit uint16) int {
	n := int(min(xmit, recv, limit))
	n = max(n, min(minNegotiatedFragment, int(limit)))
	return n &^ 7
}

func (c *serverConn) handleBind(p *PDU) bool {
	b := p.Body.(*Bind)
	if c.bound {
		c.nak(p.CallID, NakReasonNotSpecified)
		c.log.Warn("rpc: second bind on connection")
		return false
	}
	c.group = c.srv.joinGroup(b.AssocGroup, c.ip)
	if c.group == nil {
		c.log.Warn("rpc: bind to unknown association group", "assoc_group", b.AssocGroup)
		c.nak(p.CallID, NakReasonNotSpecified)
		return false
	}
	out, reason, ok := c.authLeg(p)
	if !ok {
		c.nak(p.CallID, reason)
		return false
	}
	c.bound = true
	c.bindHeaderSign = p.HasFlag(FlagSupportHeaderSign)
	c.maxFrag = negotiateFrag(b.MaxXmitFrag, b.MaxRecvFrag, c.srv.cfg.MaxFragment)
	c.sendFrag = max(min(c.maxFrag, int(b.MaxRecvFrag)), 256)
	ack := &BindAck{
		MaxXmitFrag: uint16(c.maxFrag), MaxRecvFrag: uint16(c.maxFrag),
		AssocGroup: c.group.id, SecondaryAddr: c.localPort(),
		Results: c.negotiate(b.Contexts),
	}
	return c.write(c.ackPDU(p, PTypeBindAck, ack, out), nil)
}

func (c *serverConn) handleAlter(p *PDU) bool {
	b := p.Body.(*Bind)
	out, _, ok := c.authLeg(p)
	if !ok {
		c.fault(p.CallID, 0, StatusAccessDenied, false)
		return false
	}
	ack := &BindAck{
		MaxXmitFrag: uint16(c.maxFrag), MaxRecvFrag: uint16(c.maxFrag),
		AssocGroup: c.group.id, Results: c.negotiate(b.Contexts),
	}
	return c.write(c.ackPDU(p, PTypeAlterContextResp, ack, out), nil)
}

func (c *serverConn) ackPDU(req *PDU, t PType, ack *BindAck, out *Verifier) *PDU {
	p := &PDU{Header: Header{Version: 5, Type: t, Flags: FlagFirstFrag | FlagLastFrag, CallID: req.CallID}, Body: ack, Auth: out}
	if req.Auth != nil && req.HasFlag(FlagSupportHeaderSign) {
		p.Flags |= FlagSupportHeaderSign
	}
	return p
}

func (c *serverConn) localPort() string {
	if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
		return strconv.Itoa(a.Port)
	}
	return ""
}

// negotiate answers context elements in order ([MS-RPCE] 3.3.1.5.6):
// bind-time features get negotiate_ack; per abstract syntax one element
// is accepted, preferring one that offers NDR20; the rest get 2/2.
func (c *serverConn) negotiate(elems []ContextElement) []ContextResult {
	res := make([]ContextResult, len(elems))
	chosen := map[SyntaxID]int{}
	best := map[SyntaxID]int{} // rank: 2 NDR20, 1 NDR64
	for i, e := range elems {
		r := elemRank(e)
		if r == 1 {
			if ifc := c.srv.lookup(e.Abstract); ifc != nil && ifc.NDR20Only {
				r = 0
			}
		}
		if r > best[e.Abstract] {
			best[e.Abstract], chosen[e.Abstract] = r, i
		}
	}
	for i, e := range elems {
		res[i] = c.result(e, i, chosen)
	}
	return res
}

func elemRank(e ContextElement) int {
	r := 0
	for _, t := range e.Transfer {
		switch t {
		case SyntaxNDR20:
			r = 2
		case SyntaxNDR64:
			r = max(r, 1)
		}
	}
	return r
}

func (c *serverConn) result(e ContextElement, i int, chosen map[SyntaxID]int) ContextResult {
	for _, t := range e.Transfer {
		if bits, ok := featureBits(t); ok {
			return ContextResult{Result: ResultNegotiateAck, Reason: bits & FeatureSecurityContextMultiplexing}
		}
	}
	ifc := c.srv.lookup(e.Abstract)
	if ifc == nil || e.Abstract.Minor > ifc.Minor {
		return ContextResult{Result: ResultProviderRejection, Reason: ReasonAbstractSyntaxNS}
	}
	if j, ok := chosen[e.Abstract]; !ok || j != i {
		return ContextResult{Result: ResultProviderRejection, Reason: ReasonTransferSyntaxesNS}
	}
	if _, exists := c.pres[e.ContextID]; !exists && len(c.pres) >= maxPresContexts {
		return ContextResult{Result: ResultProviderRejection, Reason: ReasonNotSpecified}
	}
	want := SyntaxNDR20
	if elemRank(e) == 1 {
		want = SyntaxNDR64
	}
	s, _ := syntaxOf(want)
	c.pres[e.ContextID] = &presContext{id: e.ContextID, iface: e.Abstract, transfer: want, syntax: s}
	return ContextResult{Result: ResultAcceptance, Transfer: want}
}
