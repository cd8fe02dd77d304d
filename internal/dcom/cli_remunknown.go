package dcom

import (
	"context"
	"fmt"

	"github.com/iisctl/iisctl/ndr"
)

// remCall calls IRemUnknown on ipidRemUnknown, over an alter_context on
// the same connection ([MS-DCOM] 3.2.4.2).
func (s *session) remCall(ctx context.Context, opnum uint16, q ndr.Marshaler, p ndr.Unmarshaler) error {
	pc, err := s.context(ctx, IID_IRemUnknown)
	if err != nil {
		return err
	}
	return orpcCall(ctx, s.conn, pc, opnum, s.remUnk,
		func(w *ndr.Writer) { w.Marshal(q) },
		func(r *ndr.Reader) error { r.Unmarshal(p); return r.Err() })
}

// remRelease is RemRelease ([MS-DCOM] 3.1.1.5.6.1.3).
func (s *session) remRelease(ctx context.Context, ipid ndr.GUID, refs uint32) error {
	var p StatusResponse
	q := &RemReleaseRequest{Refs: []RemInterfaceRef{{IPID: ipid, CPublicRefs: refs}}}
	if err := s.remCall(ctx, opRemRelease, q, &p); err != nil {
		return err
	}
	if h := HRESULT(p.Status); h.Failed() {
		return &ActivationError{Op: "RemRelease", HR: h}
	}
	return nil
}

// QueryInterface asks the object for another interface
// (IRemUnknown::RemQueryInterface, [MS-DCOM] 3.1.1.5.6.1.1). The result
// shares the connection and must be closed too.
func (i *Interface) QueryInterface(ctx context.Context, iid ndr.GUID) (*Interface, error) {
	if i.isClosed() {
		return nil, ErrClosed
	}
	const op = "RemQueryInterface"
	q := &RemQueryInterfaceRequest{IPID: i.std.IPID, CRefs: 1, IIDs: []ndr.GUID{iid}}
	var p RemQueryInterfaceResponse
	if err := i.s.remCall(ctx, opRemQueryInterface, q, &p); err != nil {
		return nil, err
	}
	if p.HR.Failed() {
		return nil, &ActivationError{Op: op, HR: p.HR}
	}
	if len(p.Results) != 1 {
		return nil, fmt.Errorf("dcom: %s: %d results for 1 interface", op, len(p.Results))
	}
	if hr := p.Results[0].HResult; hr.Failed() {
		return nil, &ActivationError{Op: op, HR: hr}
	}
	return i.s.open(ctx, iid, p.Results[0].Std)
}
