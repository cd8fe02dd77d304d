package iisswire

import (
	"fmt"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

// Opnums of IIisServiceControl ([MS-IISS] 3.1.4; IDispatch [MS-OAUT] 3.1.4).
const (
	OpGetTypeInfoCount uint16 = 3
	OpGetTypeInfo      uint16 = 4
	OpGetIDsOfNames    uint16 = 5
	OpInvoke           uint16 = 6
	OpStop             uint16 = 7
	OpStart            uint16 = 8
	OpReboot           uint16 = 9
	OpStatus           uint16 = 10
	OpKill             uint16 = 11
)

// Wire parameters of opnums 7-11, after ORPCTHIS / ORPCTHAT.

// StopRequest is Stop's [in] (opnum 7).
type StopRequest struct{ TimeoutMs, Force uint32 }

func (p *StopRequest) MarshalNDR(w *ndr.Writer)   { w.Uint32(p.TimeoutMs); w.Uint32(p.Force) }
func (p *StopRequest) UnmarshalNDR(r *ndr.Reader) { p.TimeoutMs, p.Force = r.Uint32(), r.Uint32() }

// StartRequest is Start's [in] (opnum 8).
type StartRequest struct{ TimeoutMs uint32 }

func (p *StartRequest) MarshalNDR(w *ndr.Writer)   { w.Uint32(p.TimeoutMs) }
func (p *StartRequest) UnmarshalNDR(r *ndr.Reader) { p.TimeoutMs = r.Uint32() }

// RebootRequest is Reboot's [in] (opnum 9).
type RebootRequest struct{ TimeoutMs, ForceAppsClosed uint32 }

func (p *RebootRequest) MarshalNDR(w *ndr.Writer) { w.Uint32(p.TimeoutMs); w.Uint32(p.ForceAppsClosed) }
func (p *RebootRequest) UnmarshalNDR(r *ndr.Reader) {
	p.TimeoutMs, p.ForceAppsClosed = r.Uint32(), r.Uint32()
}

// StatusRequest is Status's [in] (opnum 10).
type StatusRequest struct{ BufferSize uint32 }

func (p *StatusRequest) MarshalNDR(w *ndr.Writer)   { w.Uint32(p.BufferSize) }
func (p *StatusRequest) UnmarshalNDR(r *ndr.Reader) { p.BufferSize = r.Uint32() }

// ResultResponse is the [out] of Stop, Start, Reboot and Kill: the HRESULT.
type ResultResponse struct{ Result HRESULT }

func (p *ResultResponse) MarshalNDR(w *ndr.Writer)   { w.Uint32(uint32(p.Result)) }
func (p *ResultResponse) UnmarshalNDR(r *ndr.Reader) { p.Result = HRESULT(r.Uint32()) }

// StatusResponse is Status's [out]: pbBuffer is a top-level ref
// conformant array (count, then bytes), then the two DWORDs and the
// HRESULT.
type StatusResponse struct {
	Buffer       []byte
	RequiredSize uint32
	NumServices  uint32
	Result       HRESULT
}

func (p *StatusResponse) MarshalNDR(w *ndr.Writer) {
	w.ConformantBytes(p.Buffer)
	w.Uint32(p.RequiredSize)
	w.Uint32(p.NumServices)
	w.Uint32(uint32(p.Result))
}

func (p *StatusResponse) UnmarshalNDR(r *ndr.Reader) {
	p.Buffer = r.ConformantBytes()
	p.RequiredSize, p.NumServices, p.Result = r.Uint32(), r.Uint32(), HRESULT(r.Uint32())
}

// Client-side stub helpers: the wire client writes a request after
// ORPCTHIS and reads the response after ORPCTHAT.

// EncodeStopRequest writes Stop's parameters.
func EncodeStopRequest(w *ndr.Writer, timeout time.Duration, force bool) {
	w.Marshal(&StopRequest{TimeoutMs: Millis(timeout), Force: BoolDWORD(force)})
}

// EncodeStartRequest writes Start's parameters.
func EncodeStartRequest(w *ndr.Writer, timeout time.Duration) {
	w.Marshal(&StartRequest{TimeoutMs: Millis(timeout)})
}

// EncodeRebootRequest writes Reboot's parameters.
func EncodeRebootRequest(w *ndr.Writer, timeout time.Duration, force bool) {
	w.Marshal(&RebootRequest{TimeoutMs: Millis(timeout), ForceAppsClosed: BoolDWORD(force)})
}

// EncodeStatusRequest writes Status's parameter.
func EncodeStatusRequest(w *ndr.Writer, bufSize uint32) {
	w.Marshal(&StatusRequest{BufferSize: bufSize})
}

// EncodeKillRequest writes Kill's parameters: none.
func EncodeKillRequest(*ndr.Writer) {}

// DecodeResultResponse reads the response of Stop, Start, Reboot or Kill.
// err is a decoding error; the HRESULT is the server's answer (use
// hr.Err() to turn it into the Service error).
func DecodeResultResponse(r *ndr.Reader) (HRESULT, error) {
	var p ResultResponse
	r.Unmarshal(&p)
	return p.Result, r.Err()
}

// DecodeStatusResponse reads Status's response to a request of bufSize
// bytes and checks that pbBuffer has exactly bufSize bytes ([MS-RPCE]
// 3.1.2.7.1.1).
func DecodeStatusResponse(r *ndr.Reader, bufSize uint32) (StatusResponse, error) {
	var p StatusResponse
	r.Unmarshal(&p)
	if err := r.Err(); err != nil {
		return p, err
	}
	if uint64(len(p.Buffer)) != uint64(bufSize) {
		return p, fmt.Errorf("iiss: status: pbBuffer has %d bytes for dwBufferSize %d: %w",
			len(p.Buffer), bufSize, ndr.ErrMalformed)
	}
	return p, nil
}
