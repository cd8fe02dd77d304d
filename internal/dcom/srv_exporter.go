package dcom

import (
	"context"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// registerExporter registers IRemUnknown and IRemUnknown2 on the object
// exporter ([MS-DCOM] 3.1.1.5.6-7). Every exporter interface is NDR20
// only: ORPCTHIS and ORPCTHAT MUST be marshaled with NDR ([MS-DCOM]
// 2.2.13), and Windows exporters reject NDR64 likewise.
func (s *Server) registerExporter() {
	for _, iid := range []ndr.GUID{IID_IRemUnknown, IID_IRemUnknown2} {
		if err := s.obj.Register(rpc.Interface{UUID: iid, Opnums: 7, Handler: rpc.HandlerFunc(s.serveRemUnknown), NDR20Only: true}); err != nil {
			panic(err)
		}
	}
}

// exportIID registers an object interface on the exporter once; s.mu is held.
func (s *Server) exportIID(iid ndr.GUID) error {
	if s.iids[iid] {
		return nil
	}
	if err := s.obj.Register(rpc.Interface{UUID: iid, Handler: rpc.HandlerFunc(s.serveORPC), NDR20Only: true}); err != nil {
		return err
	}
	s.iids[iid] = true
	return nil
}

// ORPC faults ([MS-DCOM] 3.1.1.5.4: RPC_E_VERSION_MISMATCH for a COMVERSION
// other than 5.x with x <= 7, RPC_E_INVALID_HEADER for ORPCTHIS flags on
// a call, RPC_E_DISCONNECTED for an unknown IPID).
var (
	errDisconnected    = &rpc.FaultError{Status: uint32(RPC_E_DISCONNECTED)}
	errVersionMismatch = &rpc.FaultError{Status: uint32(RPC_E_VERSION_MISMATCH)}
	errInvalidHeader   = &rpc.FaultError{Status: uint32(RPC_E_INVALID_HEADER)}
	errUnknownIf       = &rpc.FaultError{Status: rpc.StatusUnknownInterface, DidNotExecute: true}
)

// readORPCThis decodes and checks ORPCTHIS ([MS-DCOM] 2.2.13.3, 3.1.1.5.4):
// major version 5 and a minor no higher than ours, and no flags.
func readORPCThis(r *ndr.Reader) error {
	var this ORPCThis
	r.Unmarshal(&this)
	if err := r.Err(); err != nil {
		return err
	}
	if this.Version.Major != COMVersionMajor || this.Version.Minor > COMVersionMinor {
		return errVersionMismatch
	}
	if this.Flags != ORPCFNull {
		return errInvalidHeader
	}
	return nil
}

// serveORPC dispatches a call on an object interface: ORPCTHIS, the IPID
// (the request's object UUID), authorization, ORPCTHAT, then
// Object.Invoke ([MS-DCOM] 3.1.1.5.4, 3.1.1.5.1).
func (s *Server) serveORPC(ctx context.Context, c *rpc.Call) ([]byte, error) {
	r := ndr.NewReader(c.Stub, c.Syntax)
	if err := readORPCThis(r); err != nil {
		return nil, err
	}
	tg, ok := s.tab.resolve(c.Object)
	if !c.HasObject || !ok {
		return nil, errDisconnected
	}
	iid := c.Interface.UUID
	if !boundTo(iid, tg.iid, c.Opnum) {
		return nil, errUnknownIf
	}
	caller := callerOf(c)
	if err := authorize(tg.class, caller); err != nil {
		s.log.Warn("dcom: call denied", "caller", c.Peer.String(), "addr", c.RemoteAddr, "class", tg.class.Name, "err", err)
		s.refused(c, "call denied: "+err.Error())
		return nil, errAccessDenied
	}
	w := ndr.NewWriter(c.Syntax)
	w.Marshal(&ORPCThat{})
	call := &Call{IID: iid, Opnum: c.Opnum, Caller: caller, In: r, Out: w, rpc: c}
	if err := tg.obj.Invoke(ctx, call); err != nil {
		return nil, err
	}
	return w.Bytes(), w.Err()
}

// boundTo reports whether a call on a context bound to iid may use an
// IPID of ipidIID: the same interface, or IDispatch methods (opnums 3-6)
// on a dual interface's IPID: Windows clients of a dual interface bind
// IDispatch and call with the interface's IPID ([MS-OAUT] 3.1.4; [MS-DCOM]
// 3.2.4.2).
func boundTo(iid, ipidIID ndr.GUID, opnum uint16) bool {
	if iid == ipidIID {
		return true
	}
	return iid == IID_IDispatch && opnum >= 3 && opnum <= 6
}
