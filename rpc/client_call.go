package rpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/iisctl/iisctl/ndr"
)

// Call sends a request on pc and returns the reassembled response stub.
// The request is fragmented at the negotiated size, each fragment
// signed or sealed per pc.Auth; object, when non-nil, is sent with
// PFC_OBJECT_UUID (DCOM's IPID). A fault returns *[FaultError].
func (c *Conn) Call(ctx context.Context, pc *PresContext, opnum uint16, object *ndr.GUID, stub []byte) (out []byte, err error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release(&err)
	var ac *authContext
	if pc.Auth != nil {
		ac = pc.Auth.ac
	}
	callID := c.callID()
	f := callFrag{ptype: PTypeRequest, callID: callID, ctxID: pc.ID, opnum: opnum, object: object}
	if err := c.t.sendStub(f, stub, ac, c.maxXmit); err != nil {
		// The server may have faulted at an early fragment and closed:
		// surface its fault rather than the write error.
		var fe *FaultError
		if _, rerr := c.readResponse(callID, ac); errors.As(rerr, &fe) {
			return nil, fe
		}
		return nil, err
	}
	return c.readResponse(callID, ac)
}

func (c *Conn) readResponse(callID uint32, ac *authContext) ([]byte, error) {
	for {
		p, raw, l, err := c.t.readFragment()
		if err != nil {
			return nil, err
		}
		if p.Type == PTypeShutdown {
			return nil, fmt.Errorf("%w: server sent shutdown", ErrConnClosed)
		}
		if p.CallID != callID {
			return nil, fmt.Errorf("%w: %v for call_id %d, want %d", ErrProtocol, p.Type, p.CallID, callID)
		}
		switch b := p.Body.(type) {
		case *Fault:
			c.reasm.reset()
			return nil, &FaultError{Status: b.Status, DidNotExecute: p.HasFlag(FlagDidNotExecute)}
		case *Response:
			if err := unprotect(raw, p, l, ac); err != nil {
				return nil, err
			}
			_, stub, done, err := c.reasm.add(p)
			if err != nil {
				return nil, err
			}
			if done {
				return stub, nil
			}
		default:
			return nil, fmt.Errorf("%w: unexpected %v", ErrProtocol, p.Type)
		}
	}
}
