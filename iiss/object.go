package iiss

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/internal/iisswire"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// DefaultMaxStatusBuffer is the largest dwBufferSize the server accepts:
// the reply must carry that many bytes ([MS-IISS] 3.1.4.4: pbBuffer is a
// top-level [ref, size_is(dwBufferSize)] array), so an unbounded one
// would let a caller make the server allocate 4 GiB. Above it, Status
// faults nca_s_fault_remote_no_memory (C706 Appendix N) unexecuted.
const DefaultMaxStatusBuffer = 1 << 20

// The class and interface of IIS ServiceControl ([MS-IISS] 1.9), and
// IDispatch ([MS-OAUT] 1.9), which the dual interface also answers to.
var (
	CLSID_IIisServiceControl = ndr.MustGUID("e8fb8621-588f-11d2-9d61-00c04f79c5fe")
	IID_IIisServiceControl   = ndr.MustGUID("e8fb8620-588f-11d2-9d61-00c04f79c5fe")
	iidIDispatch             = dcom.IID_IDispatch
)

// objectOptions configures [newObject].
type objectOptions struct {
	// MaxStatusBuffer bounds dwBufferSize; default DefaultMaxStatusBuffer.
	// Above it Status faults nca_s_fault_remote_no_memory unexecuted.
	MaxStatusBuffer uint32
	// Logger receives errors that became E_FAIL; default slog.Default().
	Logger *slog.Logger
}

// object exposes a Service as an IIisServiceControl DCOM object: it
// implements dcom.Object. Opnums 3-6 are IDispatch (on either IID), 7-11
// the methods. Service errors carrying an HRESULT become return values;
// other errors become E_FAIL (and are logged). Decoding failures and
// unknown opnums are returned as errors, which the runtime sends as faults.
type object struct {
	svc  Service
	opts objectOptions

	// blob is the last STATUS_BLOB encoded and the list it encodes:
	// Status re-encodes only when the services' state has changed.
	blob atomic.Pointer[statusBlob]
}

type statusBlob struct {
	list []ServiceStatus
	blob []byte // shared and read-only
}

// encodedStatus is the STATUS_BLOB of list, from the cache when list is
// the one last encoded.
func (s *object) encodedStatus(list []ServiceStatus) []byte {
	if c := s.blob.Load(); c != nil && slices.Equal(c.list, list) {
		return c.blob
	}
	b := iisswire.EncodeStatusBlob(entries(list))
	s.blob.Store(&statusBlob{list: slices.Clone(list), blob: b})
	return b
}

// newObject returns the dispatcher for s.
func newObject(s Service, opts objectOptions) *object {
	if opts.MaxStatusBuffer == 0 {
		opts.MaxStatusBuffer = DefaultMaxStatusBuffer
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &object{svc: s, opts: opts}
}

var _ dcom.Object = (*object)(nil)

// Invoke implements dcom.Object.
func (s *object) Invoke(ctx context.Context, call *dcom.Call) error {
	if call.IID != IID_IIisServiceControl && call.IID != iidIDispatch {
		return &rpc.FaultError{Status: rpc.StatusUnknownInterface, DidNotExecute: true}
	}
	if call.IID == iidIDispatch && call.Opnum > iisswire.OpInvoke {
		return opRangeFault()
	}
	ctx = WithCaller(ctx, callerOf(call.Caller))
	switch call.Opnum {
	case iisswire.OpGetTypeInfoCount:
		return s.getTypeInfoCount(call)
	case iisswire.OpGetTypeInfo:
		return s.getTypeInfo(call)
	case iisswire.OpGetIDsOfNames:
		return s.getIDsOfNames(call)
	case iisswire.OpInvoke:
		return s.invoke(ctx, call)
	case iisswire.OpStop:
		return s.stop(ctx, call)
	case iisswire.OpStart:
		return s.start(ctx, call)
	case iisswire.OpReboot:
		return s.reboot(ctx, call)
	case iisswire.OpStatus:
		return s.status(ctx, call)
	case iisswire.OpKill:
		return s.kill(ctx, call)
	}
	return opRangeFault()
}

func opRangeFault() error {
	return &rpc.FaultError{Status: rpc.StatusOpRangeError, DidNotExecute: true}
}

func callerOf(c dcom.Caller) Caller {
	cl := Caller{Addr: c.RemoteAddr}
	if c.Peer.Authenticated() {
		cl.User, cl.Mech = c.Peer.String(), c.Peer.Mech
	}
	return cl
}

func decode(r *ndr.Reader, u ndr.Unmarshaler) error {
	r.Unmarshal(u)
	return r.Err()
}

func reply(w *ndr.Writer, m ndr.Marshaler) error {
	w.Marshal(m)
	return w.Err()
}

// result maps a Service error to the HRESULT sent back.
func (s *object) result(method string, err error) HRESULT {
	hr, ok := AsHRESULT(err)
	if !ok {
		s.opts.Logger.Error("iiss: call failed", "method", method, "error", err)
	}
	return hr
}

func (s *object) stop(ctx context.Context, c *dcom.Call) error {
	var in iisswire.StopRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	err := s.svc.Stop(ctx, iisswire.Timeout(in.TimeoutMs), in.Force != 0)
	return reply(c.Out, &iisswire.ResultResponse{Result: s.result("Stop", err)})
}

func (s *object) start(ctx context.Context, c *dcom.Call) error {
	var in iisswire.StartRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	err := s.svc.Start(ctx, iisswire.Timeout(in.TimeoutMs))
	return reply(c.Out, &iisswire.ResultResponse{Result: s.result("Start", err)})
}

func (s *object) reboot(ctx context.Context, c *dcom.Call) error {
	var in iisswire.RebootRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	err := s.svc.Reboot(ctx, iisswire.Timeout(in.TimeoutMs), in.ForceAppsClosed != 0)
	return reply(c.Out, &iisswire.ResultResponse{Result: s.result("Reboot", err)})
}

func (s *object) kill(ctx context.Context, c *dcom.Call) error {
	err := s.svc.Kill(ctx) // no [in] parameters

	return reply(c.Out, &iisswire.ResultResponse{Result: s.result("Kill", err)})
}

func (s *object) status(ctx context.Context, c *dcom.Call) error {
	var in iisswire.StatusRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	if in.BufferSize > s.opts.MaxStatusBuffer {
		return &rpc.FaultError{Status: rpc.StatusRemoteNoMemory, DidNotExecute: true}
	}
	list, err := s.svc.Status(ctx)
	return reply(c.Out, s.sizedStatus(in.BufferSize, list, err))
}

// sizedStatus applies the sizing rules of [MS-IISS] 3.1.4.4: too
// small (dwBufferSize < required; the "not greater than" of 3.1.4.4
// would also refuse an exact fit, which we accept) gives exactly
// dwBufferSize zero bytes, the required size, 0 services and 0x8007007A.
func (s *object) sizedStatus(size uint32, list []ServiceStatus, err error) *iisswire.StatusResponse {
	resp := &iisswire.StatusResponse{Buffer: make([]byte, size)}
	if err != nil {
		resp.Result = s.result("Status", err)
		return resp
	}
	blob := s.encodedStatus(list)
	resp.RequiredSize = uint32(len(blob))
	if uint64(len(blob)) > uint64(size) {
		resp.Result = ERROR_INSUFFICIENT_BUFFER
		return resp
	}
	copy(resp.Buffer, blob)
	resp.NumServices = uint32(len(list))
	return resp
}
