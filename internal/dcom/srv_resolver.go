package dcom

import (
	"context"
	"errors"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// IObjectExporter opnums ([MS-DCOM] 3.1.2.5.1).
const (
	opResolveOxid  = 0
	opSimplePing   = 1
	opComplexPing  = 2
	opServerAlive  = 3
	opResolveOxid2 = 4
	opServerAlive2 = 5
)

// registerActivation registers the activation endpoint's interfaces. The
// RPC layer lets every level through; each method checks its own
// ([MS-DCOM] 3.2.4.1.1.1: ServerAlive2 unauthenticated; 3.2.4.1.2.2:
// activation, ResolveOxid and pings at PKT_INTEGRITY or above).
func (s *Server) registerActivation() {
	ifs := []rpc.Interface{
		{UUID: IID_IObjectExporter, Opnums: 6, Handler: rpc.HandlerFunc(s.serveResolver)},
		// The activators MUST use NDR20 ([MS-DCOM] 3.1.2.5.2).
		{UUID: IID_IRemoteSCMActivator, Opnums: 5, Handler: rpc.HandlerFunc(s.serveSCM), NDR20Only: true},
		{UUID: IID_IActivation, Opnums: 1, Handler: rpc.HandlerFunc(s.serveActivation), NDR20Only: true},
	}
	for _, ifc := range ifs {
		ifc.MinLevel = rpc.AuthLevelNone
		if err := s.act.Register(ifc); err != nil {
			panic(err) // fresh server: cannot happen
		}
	}
}

// errAccessDenied is fault 5, the answer to an under-protected or
// unauthorized call ([MS-DCOM] 3.1.2.5.1, <40>).
var errAccessDenied = &rpc.FaultError{Status: rpc.StatusAccessDenied}

// serveResolver is IObjectExporter ([MS-DCOM] 3.1.2.5.1). ServerAlive and
// ServerAlive2 need no authentication; the others need PKT_INTEGRITY.
func (s *Server) serveResolver(ctx context.Context, c *rpc.Call) ([]byte, error) {
	r, w := ndr.NewReader(c.Stub, c.Syntax), ndr.NewWriter(c.Syntax)
	switch c.Opnum {
	case opServerAlive:
		w.Uint32(0)
		return w.Bytes(), w.Err()
	case opServerAlive2:
		w.Marshal(&ServerAlive2Response{COMVersion: serverVersion, OrBindings: s.resolverBindings(c.LocalAddr)})
		return w.Bytes(), w.Err()
	}
	if c.AuthLevel < rpc.AuthLevelIntegrity {
		s.log.Warn("dcom: resolver call below integrity denied", "op", c.Opnum, "caller", c.Peer.String(), "addr", c.RemoteAddr, "level", c.AuthLevel)
		s.refused(c, "resolver call below packet integrity")
		return nil, errAccessDenied
	}
	var out ndr.Marshaler
	switch c.Opnum {
	case opResolveOxid, opResolveOxid2:
		out = s.resolveOxid(r, c, c.Opnum == opResolveOxid2)
	case opSimplePing:
		out = s.simplePing(r)
	case opComplexPing:
		out = s.complexPing(r)
	default:
		return nil, errOpRange
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	w.Marshal(out)
	return w.Bytes(), w.Err()
}

// resolveOxid answers ResolveOxid(2) ([MS-DCOM] 3.1.2.5.1.1, 3.1.2.5.1.5).
func (s *Server) resolveOxid(r *ndr.Reader, c *rpc.Call, v2 bool) ndr.Marshaler {
	var q ResolveOxidRequest
	r.Unmarshal(&q)
	p := &ResolveOxidResponse{Version2: v2, COMVersion: serverVersion}
	if q.OXID != s.tab.oxid {
		p.Status = OR_INVALID_OXID
		return p
	}
	p.OxidBindings = s.exporterBindings(c.LocalAddr)
	p.IPIDRemUnknown, p.AuthnHint = s.tab.remUnk, s.authnHint()
	return p
}

// simplePing answers SimplePing ([MS-DCOM] 3.1.2.5.1.2).
func (s *Server) simplePing(r *ndr.Reader) ndr.Marshaler {
	var q SimplePingRequest
	r.Unmarshal(&q)
	p := &StatusResponse{}
	if err := s.tab.simplePing(q.SetID); err != nil {
		p.Status = OR_INVALID_SET
	}
	return p
}

// complexPing answers ComplexPing ([MS-DCOM] 3.1.2.5.1.3).
func (s *Server) complexPing(r *ndr.Reader) ndr.Marshaler {
	var q ComplexPingRequest
	r.Unmarshal(&q)
	if !r.OK() {
		return nil
	}
	set, err := s.tab.complexPing(q.SetID, q.SequenceNum, q.AddToSet, q.DelFromSet)
	p := &ComplexPingResponse{SetID: set}
	switch {
	case errors.Is(err, ErrUnknownSet):
		p.Status = OR_INVALID_SET
	case errors.Is(err, ErrUnknownOID):
		p.Status = OR_INVALID_OID
	}
	return p
}
