package rpc

import (
	"bytes"
	"fmt"
)

// DefaultMaxStub is the default limit on a reassembled stub ([MS-RPCE] 3.3.3.5.4).
const DefaultMaxStub = 4 << 20

// errNoCall marks a non-first fragment that belongs to no active call.
var errNoCall = fmt.Errorf("%w: fragment without a call", ErrProtocol)

// reassembler joins the stubs of one call's fragments (C706 12.6.3.7;
// [MS-RPCE] 2.2.2.6). Later fragments must match the first in PTYPE,
// drep, call_id, p_cont_id, opnum and object.
type reassembler struct {
	max    int
	active bool
	first  *PDU
	stub   []byte
}

// add feeds one fragment. It returns the first fragment and the whole
// stub when the last fragment arrives. The stub never exceeds max.
func (r *reassembler) add(p *PDU) (first *PDU, stub []byte, done bool, err error) {
	frag := stubOf(p)
	if p.HasFlag(FlagFirstFrag) {
		if r.active {
			return nil, nil, false, fmt.Errorf("%w: call %d started inside call %d", ErrProtocol, p.CallID, r.first.CallID)
		}
		if len(frag) > r.max {
			return nil, nil, false, ErrStubTooLarge
		}
		if p.HasFlag(FlagLastFrag) {
			return p, frag, true, nil
		}
		r.active, r.first = true, p
		r.stub = append(r.stub[:0], frag...)
		detach(p) // p outlives its fragment buffer: keep only what match and dispatch read
		return nil, nil, false, nil
	}
	if !r.active {
		return nil, nil, false, errNoCall
	}
	if err := r.match(p); err != nil {
		r.reset()
		return nil, nil, false, err
	}
	if len(r.stub)+len(frag) > r.max {
		r.reset()
		return nil, nil, false, ErrStubTooLarge
	}
	r.stub = append(r.stub, frag...)
	if !p.HasFlag(FlagLastFrag) {
		return nil, nil, false, nil
	}
	first, stub = r.first, r.stub
	r.active, r.first, r.stub = false, nil, nil
	return first, stub, true, nil
}

func (r *reassembler) reset() { r.active, r.first, r.stub = false, nil, r.stub[:0] }

func (r *reassembler) match(p *PDU) error {
	f := r.first
	ok := p.Type == f.Type && p.DRep == f.DRep && p.CallID == f.CallID
	switch a := p.Body.(type) {
	case *Request:
		b, same := f.Body.(*Request)
		ok = ok && same && a.ContextID == b.ContextID && a.Opnum == b.Opnum && sameObject(a, b)
	case *Response:
		b, same := f.Body.(*Response)
		ok = ok && same && a.ContextID == b.ContextID
	default:
		ok = false
	}
	if !ok {
		return fmt.Errorf("%w: fragment of call %d does not match its first fragment", ErrProtocol, p.CallID)
	}
	return nil
}

// detach drops p's references into its fragment's bytes (stub and
// verifier), which may be a pooled buffer reused once p's fragment has
// been handled.
func detach(p *PDU) {
	switch b := p.Body.(type) {
	case *Request:
		b.Stub = nil
	case *Response:
		b.Stub = nil
	}
	p.Auth = nil
}

func sameObject(a, b *Request) bool {
	if (a.Object == nil) != (b.Object == nil) {
		return false
	}
	return a.Object == nil || bytes.Equal(a.Object[:], b.Object[:])
}

func stubOf(p *PDU) []byte {
	switch b := p.Body.(type) {
	case *Request:
		return b.Stub
	case *Response:
		return b.Stub
	}
	return nil
}
