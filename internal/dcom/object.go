package dcom

import (
	"context"
	"net/netip"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// Class is a COM class the server can activate ([MS-DCOM] 3.1.2.5.2).
type Class struct {
	CLSID ndr.GUID
	Name  string // for logs, e.g. "IIsServiceControl"
	// IIDs are the interfaces instances implement, besides IUnknown.
	IIDs []ndr.GUID
	// New creates an instance for an authorized caller.
	New func(ctx context.Context, caller Caller) (Object, error)
	// Authorize decides whether caller may activate the class; nil means
	// administrators only (rpc.Peer.Admin).
	Authorize func(caller Caller) error
}

// Caller is who invokes a call or an activation.
type Caller struct {
	Peer       rpc.Peer
	AuthLevel  rpc.AuthLevel
	AuthType   rpc.AuthType
	RemoteAddr netip.AddrPort
}

// Object is an activated instance. The runtime decodes ORPCTHIS, routes
// IRemUnknown itself, and hands every other call here.
type Object interface {
	// Invoke executes opnum of interface iid. in is positioned just after
	// ORPCTHIS; the runtime has written ORPCTHAT to out, and the method
	// writes its [out] parameters and return value after it. A returned
	// error becomes a fault: ndr decoding errors fault 0x6F7, an
	// rpc.FaultError its status; HRESULTs are return values, not errors.
	Invoke(ctx context.Context, call *Call) error
}

// Call is one ORPC invocation on an object.
type Call struct {
	IID    ndr.GUID
	Opnum  uint16
	Caller Caller
	In     *ndr.Reader
	Out    *ndr.Writer

	rpc *rpc.Call // the RPC call carrying it (bindings for marshaled references)
}
