package dcom

import (
	"context"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// IRemUnknown(2) opnums ([MS-DCOM] 3.1.1.5.6-7).
const (
	opRemQueryInterface  = 3
	opRemAddRef          = 4
	opRemRelease         = 5
	opRemQueryInterface2 = 6
)

// errRemAccessDenied is how IRemUnknown denies a call ([MS-DCOM] <40>).
var errRemAccessDenied = &rpc.FaultError{Status: uint32(E_ACCESSDENIED)}

// serveRemUnknown is IRemUnknown and IRemUnknown2 on ipidRemUnknown.
func (s *Server) serveRemUnknown(ctx context.Context, c *rpc.Call) ([]byte, error) {
	r := ndr.NewReader(c.Stub, c.Syntax)
	if err := readORPCThis(r); err != nil {
		return nil, err
	}
	if !c.HasObject || c.Object != s.tab.remUnk {
		return nil, errDisconnected
	}
	if c.Opnum < opRemQueryInterface || (c.Opnum == opRemQueryInterface2 && c.Interface.UUID != IID_IRemUnknown2) {
		return nil, errOpRange
	}
	if !s.mayUseRemUnknown(callerOf(c)) {
		s.log.Warn("dcom: IRemUnknown call denied", "caller", c.Peer.String(), "addr", c.RemoteAddr)
		s.refused(c, "IRemUnknown call denied")
		return nil, errRemAccessDenied
	}
	var out ndr.Marshaler
	switch c.Opnum {
	case opRemQueryInterface:
		out = s.remQueryInterface(r, c)
	case opRemAddRef:
		out = s.remAddRef(r)
	case opRemRelease:
		out = s.remRelease(r)
	case opRemQueryInterface2:
		out = s.remQueryInterface2(r, c)
	default:
		return nil, errOpRange
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	w := ndr.NewWriter(c.Syntax)
	w.Marshal(&ORPCThat{})
	w.Marshal(out)
	return w.Bytes(), w.Err()
}

// mayUseRemUnknown authorizes IRemUnknown: administrators, or callers
// some registered class's Authorize accepts.
func (s *Server) mayUseRemUnknown(caller Caller) bool {
	if caller.Peer.Admin {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.classes {
		if c.Authorize != nil && c.Authorize(caller) == nil {
			return true
		}
	}
	return false
}

// remQueryInterface is RemQueryInterface ([MS-DCOM] 3.1.1.5.6.1.1).
func (s *Server) remQueryInterface(r *ndr.Reader, c *rpc.Call) ndr.Marshaler {
	var q RemQueryInterfaceRequest
	r.Unmarshal(&q)
	p := &RemQueryInterfaceResponse{HR: RPC_E_INVALID_OBJECT}
	if !r.OK() {
		return p
	}
	oid, ipids, ok, err := s.tab.queryInterface(q.IPID, q.CRefs, q.IIDs)
	if err != nil {
		return p
	}
	p.HR, p.Results = E_NOINTERFACE, make([]RemQIResult, len(q.IIDs))
	for i := range q.IIDs {
		p.Results[i].HResult = E_NOINTERFACE
		if ok[i] {
			p.HR = S_OK
			p.Results[i] = RemQIResult{HResult: S_OK, Std: StdObjRef{CPublicRefs: q.CRefs, OXID: s.tab.oxid, OID: oid, IPID: ipids[i]}}
		}
	}
	return p
}

// remQueryInterface2 is RemQueryInterface2 ([MS-DCOM] 3.1.1.5.7.1.1);
// each interface carries one public reference.
func (s *Server) remQueryInterface2(r *ndr.Reader, c *rpc.Call) ndr.Marshaler {
	var q RemQueryInterface2Request
	r.Unmarshal(&q)
	n := len(q.IIDs)
	p := &RemQueryInterface2Response{HR: RPC_E_INVALID_OBJECT, Results: make([]HRESULT, n), MIFs: make([]*MInterfacePointer, n)}
	oid, ipids, ok, err := s.tab.queryInterface(q.IPID, 1, q.IIDs)
	for i := range q.IIDs {
		p.Results[i] = p.HR
		if err == nil {
			p.Results[i] = E_NOINTERFACE
		}
	}
	if err != nil || !r.OK() {
		return p
	}
	p.HR = E_NOINTERFACE
	for i, iid := range q.IIDs {
		if ok[i] {
			p.HR, p.Results[i], p.MIFs[i] = S_OK, S_OK, s.objref(c, iid, oid, ipids[i], 1)
		}
	}
	return p
}

// remAddRef is RemAddRef ([MS-DCOM] 3.1.1.5.6.1.2).
func (s *Server) remAddRef(r *ndr.Reader) ndr.Marshaler {
	var q RemAddRefRequest
	r.Unmarshal(&q)
	p := &RemAddRefResponse{Results: make([]HRESULT, len(q.Refs))}
	for i, ref := range q.Refs {
		if err := s.tab.addRef(ref.IPID, ref.CPublicRefs); err != nil {
			p.Results[i], p.HR = CO_E_OBJNOTREG, CO_E_OBJNOTREG
		}
	}
	return p
}

// remRelease is RemRelease ([MS-DCOM] 3.1.1.5.6.1.3): counts clamp at
// zero, and an object whose references all reach zero is released (and
// closed when it is an io.Closer).
func (s *Server) remRelease(r *ndr.Reader) ndr.Marshaler {
	var q RemReleaseRequest
	r.Unmarshal(&q)
	p := &StatusResponse{}
	if !r.OK() {
		return p
	}
	for _, ref := range q.Refs {
		obj, err := s.tab.release(ref.IPID, ref.CPublicRefs)
		if err != nil {
			p.Status = uint32(CO_E_OBJNOTREG)
		}
		if obj != nil {
			s.closeObject(obj)
		}
	}
	return p
}
