package rpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/iisctl/iisctl/ndr"
)

// Bind negotiates a presentation context for iface (UUID and version).
// The first Bind on a connection sends bind; later ones send
// alter_context, as AlterContext does.
func (c *Conn) Bind(ctx context.Context, iface SyntaxID, opts *BindOptions) (*PresContext, error) {
	return c.bindOrAlter(ctx, iface, opts, false)
}

func (c *Conn) bindOrAlter(ctx context.Context, iface SyntaxID, opts *BindOptions, alter bool) (pc *PresContext, err error) {
	pcs, err := c.bindAll(ctx, []SyntaxID{iface}, opts, alter)
	if err != nil {
		return nil, err
	}
	return pcs[0], nil
}

// BindAll negotiates presentation contexts for several interfaces in one
// bind (or alter_context, when already bound) and one round trip: the
// p_cont_list carries an element per interface and transfer syntax (C706
// 12.6.4.3). A security context in opts serves them all. The result has
// one entry per interface, nil where the server rejected that one; the
// first interface must be accepted, else the error is as Bind's.
func (c *Conn) BindAll(ctx context.Context, ifaces []SyntaxID, opts *BindOptions) ([]*PresContext, error) {
	if len(ifaces) == 0 {
		return nil, errors.New("rpc: BindAll without interfaces")
	}
	return c.bindAll(ctx, ifaces, opts, false)
}

func (c *Conn) bindAll(ctx context.Context, ifaces []SyntaxID, opts *BindOptions, alter bool) (pcs []*PresContext, err error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release(&err)
	if alter && !c.bound {
		return nil, errors.New("rpc: alter_context before bind")
	}
	return c.bind(ctx, ifaces, opts)
}

// AlterContext adds a presentation context (optionally with a new
// security context) on a bound connection ([MS-RPCE] 3.3.1.5.4).
func (c *Conn) AlterContext(ctx context.Context, iface SyntaxID, opts *BindOptions) (*PresContext, error) {
	return c.bindOrAlter(ctx, iface, opts, true)
}

func (c *Conn) bind(ctx context.Context, ifaces []SyntaxID, opts *BindOptions) ([]*PresContext, error) {
	var o BindOptions
	if opts != nil {
		o = *opts
	}
	var elems []ContextElement
	groups := make([][]ContextElement, len(ifaces))
	for i, iface := range ifaces {
		groups[i] = c.elements(iface, &o, i == len(ifaces)-1)
		elems = append(elems, groups[i]...)
	}
	var ac *authContext
	var v *Verifier
	if o.Auth != nil {
		var err error
		if ac, v, err = c.startAuth(ctx, o.Auth); err != nil {
			return nil, err
		}
	}
	t := PTypeAlterContext
	if !c.bound {
		t = PTypeBind
	}
	callID := c.callID()
	ack, err := c.exchange(t, callID, elems, v)
	if err != nil {
		return nil, err
	}
	res := ack.Body.(*BindAck).Results
	if len(res) != len(elems) {
		return nil, fmt.Errorf("%w: %d results for %d contexts", ErrProtocol, len(res), len(elems))
	}
	pcs := make([]*PresContext, len(ifaces))
	off := 0
	for i, iface := range ifaces {
		n := len(groups[i])
		pc, err := c.results(iface, groups[i], res[off:off+n])
		off += n
		if err != nil && i == 0 {
			return nil, err
		}
		pcs[i] = pc
	}
	var auth *AuthContext
	if ac != nil {
		if err := c.finishAuth(ctx, ac, ack, callID, elems); err != nil {
			return nil, err
		}
		auth = &AuthContext{ac}
	} else {
		auth = o.AuthContext
	}
	var features uint16 // negotiated for the association, answered in the last group
	for _, pc := range pcs {
		if pc != nil {
			features |= pc.Features
		}
	}
	for _, pc := range pcs {
		if pc != nil {
			pc.Auth, pc.Features = auth, features
		}
	}
	return pcs, nil
}

// elements are iface's p_cont_elems, one per transfer syntax; the
// bind-time feature negotiation element goes with the last interface.
func (c *Conn) elements(iface SyntaxID, o *BindOptions, last bool) []ContextElement {
	syn := o.Syntaxes
	if len(syn) == 0 {
		syn = []ndr.Syntax{ndr.NDR20}
	}
	var elems []ContextElement
	add := func(t SyntaxID) {
		elems = append(elems, ContextElement{ContextID: c.nextCtxID, Abstract: iface, Transfer: []SyntaxID{t}})
		c.nextCtxID++
	}
	for _, s := range syn {
		if s == ndr.NDR64 {
			add(SyntaxNDR64)
		} else {
			add(SyntaxNDR20)
		}
	}
	if o.Features != 0 && last {
		add(FeatureSyntax(o.Features))
	}
	return elems
}

// exchange sends a bind or alter_context and reads its answer.
func (c *Conn) exchange(t PType, callID uint32, elems []ContextElement, v *Verifier) (*PDU, error) {
	p := &PDU{Header: Header{Version: 5, Type: t, Flags: FlagFirstFrag | FlagLastFrag, CallID: callID}, Auth: v}
	if v != nil && effectiveLevel(v.Level) >= AuthLevelIntegrity {
		p.Flags |= FlagSupportHeaderSign
	}
	p.Body = &Bind{MaxXmitFrag: c.cfg.MaxFragment, MaxRecvFrag: c.cfg.MaxFragment, AssocGroup: c.assocGroup, Contexts: elems}
	if err := c.t.writePDU(p, nil); err != nil {
		return nil, err
	}
	r, _, _, err := c.t.readFragment()
	if err != nil {
		return nil, err
	}
	if r.CallID != callID {
		return nil, fmt.Errorf("%w: %v answered with call_id %d, want %d", ErrProtocol, t, r.CallID, callID)
	}
	switch b := r.Body.(type) {
	case *BindNak:
		return nil, &BindNakError{Reason: b.Reason}
	case *Fault:
		return nil, &FaultError{Status: b.Status, DidNotExecute: r.HasFlag(FlagDidNotExecute)}
	case *BindAck:
		if (t == PTypeBind) != (r.Type == PTypeBindAck) {
			return nil, fmt.Errorf("%w: %v answered with %v", ErrProtocol, t, r.Type)
		}
		if t == PTypeBind {
			c.bound, c.assocGroup = true, b.AssocGroup
			c.maxXmit, c.maxRecv = int(b.MaxRecvFrag), int(b.MaxXmitFrag)
		}
		return r, nil
	}
	return nil, fmt.Errorf("%w: %v answered with %v", ErrProtocol, t, r.Type)
}

// results picks iface's accepted element; results come in offer order.
func (c *Conn) results(iface SyntaxID, elems []ContextElement, res []ContextResult) (*PresContext, error) {
	var pc *PresContext
	var features uint16
	var reject *ContextRejectedError
	for i, r := range res {
		switch r.Result {
		case ResultAcceptance:
			if pc == nil {
				t := elems[i].Transfer[0]
				s, _ := syntaxOf(t)
				pc = &PresContext{ID: elems[i].ContextID, Interface: iface, Transfer: t, Syntax: s}
			}
		case ResultNegotiateAck:
			features = r.Reason
		default:
			if reject == nil {
				reject = &ContextRejectedError{Result: r.Result, Reason: r.Reason}
			}
		}
	}
	if pc == nil {
		if reject == nil {
			reject = &ContextRejectedError{}
		}
		return nil, reject
	}
	pc.Features = features
	return pc, nil
}
