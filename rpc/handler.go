package rpc

import (
	"context"
	"net"

	"github.com/iisctl/iisctl/ndr"
)

// Handler serves the calls of one registered interface.
//
// ServeRPC receives the reassembled, verified and unsealed request stub
// (without a verification trailer) and returns the response stub in the
// presentation context's transfer syntax (c.Syntax). The stub aliases a
// buffer the handler may keep. Calls on one connection are serialized;
// calls on different connections run concurrently.
//
// Errors become fault PDUs: a *[FaultError] sends its Status (and
// DidNotExecute); an error wrapping [ErrInvalidStub] sends 0x6F7
// (RPC_X_BAD_STUB_DATA) with DID_NOT_EXECUTE; any error with a method
// RPCFaultStatus() uint32 sends that status (ndr decode errors implement
// it returning 0x6F7); any other error sends 0x6BE (RPC_S_CALL_FAILED),
// the status Windows clients map to "the remote procedure call failed".
// A panic is recovered, logged and answered like any other error; the
// server keeps serving. ctx is cancelled when the server closes.
type Handler interface {
	ServeRPC(ctx context.Context, c *Call) ([]byte, error)
}

// HandlerFunc adapts a function to [Handler].
type HandlerFunc func(ctx context.Context, c *Call) ([]byte, error)

// ServeRPC calls f.
func (f HandlerFunc) ServeRPC(ctx context.Context, c *Call) ([]byte, error) { return f(ctx, c) }

// Interface registers a handler for an abstract syntax. Calls dispatch by
// UUID and major version; a bind is accepted when the client's minor
// version is at most Minor (C706 12.6.3.1).
type Interface struct {
	UUID  ndr.GUID
	Major uint16
	Minor uint16
	// Opnums is the number of operations; requests with opnum >= Opnums
	// get nca_s_op_rng_error before the handler runs. 0 means no check.
	Opnums  int
	Handler Handler
	// NDR20Only refuses NDR64 for this interface (provider rejection,
	// transfer syntaxes not supported), for protocols that MUST use NDR
	// such as DCOM's ([MS-DCOM] 2.2.13, 3.1.2.5.2).
	NDR20Only bool
	// MinLevel overrides ServerConfig.MinLevel for this interface.
	// AuthLevelDefault (0) uses the server's; AuthLevelNone allows
	// unauthenticated calls (DCOM's IObjectExporter::ServerAlive2).
	MinLevel AuthLevel
}

// Call is one reassembled request as a handler sees it.
type Call struct {
	Opnum     uint16
	Object    ndr.GUID // valid when HasObject (PFC_OBJECT_UUID)
	HasObject bool
	Syntax    ndr.Syntax // negotiated transfer syntax of the presentation context
	// Stub is the request stub. It is valid only until ServeRPC returns:
	// the server then reuses its buffer. Copy what must outlive the call.
	Stub      []byte
	Interface SyntaxID // abstract syntax bound to the presentation context
	ContextID uint16   // p_cont_id
	CallID    uint32

	// Security of the call: the verifier's context, or for a request
	// without verifier a connect-level context established on the
	// connection, else AuthLevelNone with a zero Peer.
	AuthLevel     AuthLevel
	AuthType      AuthType
	AuthContextID uint32
	Peer          Peer
	Security      SecurityContext // nil when unauthenticated

	AssocGroup uint32
	RemoteAddr net.Addr
	LocalAddr  net.Addr // the address the client connected to (DCOM string bindings)

	// VerificationTrailer is the trailer removed from Stub, if any.
	VerificationTrailer *VerificationTrailer
}
