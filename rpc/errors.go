package rpc

import (
	"errors"
	"fmt"
)

// Codec errors. Decode errors wrap one of these.
var (
	ErrShortPDU     = errors.New("rpc: short PDU")
	ErrMalformedPDU = errors.New("rpc: malformed PDU")
	ErrUnknownPType = errors.New("rpc: unknown PDU type")
)

// Connection and call errors.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("rpc: server closed")
	// ErrConnClosed is returned by calls on a closed client connection.
	ErrConnClosed = errors.New("rpc: connection closed")
	// ErrProtocol reports a peer that broke the protocol.
	ErrProtocol = errors.New("rpc: protocol error")
	// ErrStubTooLarge reports a reassembled stub over the configured limit.
	ErrStubTooLarge = errors.New("rpc: stub too large")
	// ErrAuth reports a failed handshake or verifier check.
	ErrAuth = errors.New("rpc: authentication failed")
	// ErrInvalidStub is the wrap target for handler errors meaning the
	// request stub failed NDR decoding or consistency checks; the server
	// answers fault 0x6F7 (RPC_X_BAD_STUB_DATA) with DID_NOT_EXECUTE.
	ErrInvalidStub = errors.New("rpc: invalid stub data")
)

// Fault statuses this package emits or names ([MS-RPCE] 2.2.2.8, 3.1.1.5.5;
// C706 Appendix N; [MS-ERREF] 2.2).
const (
	StatusAccessDenied        uint32 = 0x00000005 // ERROR_ACCESS_DENIED
	StatusCallFailed          uint32 = 0x000006BE // RPC_S_CALL_FAILED
	StatusBadStubData         uint32 = 0x000006F7 // RPC_X_BAD_STUB_DATA
	StatusOpRangeError        uint32 = 0x1C010002 // nca_s_op_rng_error
	StatusUnknownInterface    uint32 = 0x1C010003 // nca_s_unk_if
	StatusProtoError          uint32 = 0x1C01000B // nca_proto_error
	StatusRemoteNoMemory      uint32 = 0x1C00001B // nca_s_fault_remote_no_memory
	StatusInvalidPresContext  uint32 = 0x1C00001C // nca_invalid_pres_context_id
	StatusUnsupportedType     uint32 = 0x1C000017 // nca_unsupported_type
	StatusFaultUnspec         uint32 = 0x1C000012 // nca_s_fault_unspec
	StatusFaultCancel         uint32 = 0x1C00000D // nca_s_fault_cancel
	StatusContextMismatch     uint32 = 0x1C00001A // nca_s_fault_context_mismatch
	StatusServerTooBusy       uint32 = 0x000006BB // RPC_S_SERVER_TOO_BUSY
	StatusUnknownAuthnService uint32 = 0x000006D3 // RPC_S_UNKNOWN_AUTHN_SERVICE
)

var statusNames = map[uint32]string{
	StatusAccessDenied: "access_denied", StatusCallFailed: "rpc_s_call_failed",
	StatusBadStubData: "rpc_x_bad_stub_data", StatusOpRangeError: "nca_s_op_rng_error",
	StatusUnknownInterface: "nca_s_unk_if", StatusProtoError: "nca_proto_error",
	StatusRemoteNoMemory: "nca_s_fault_remote_no_memory", StatusInvalidPresContext: "nca_invalid_pres_context_id",
	StatusUnsupportedType: "nca_unsupported_type", StatusFaultUnspec: "nca_s_fault_unspec",
	StatusFaultCancel: "nca_s_fault_cancel", StatusContextMismatch: "nca_s_fault_context_mismatch",
	StatusServerTooBusy: "rpc_s_server_too_busy", StatusUnknownAuthnService: "rpc_s_unknown_authn_service",
}

// StatusName returns the symbolic name of a fault status, or "".
func StatusName(s uint32) string { return statusNames[s] }

// FaultError is a fault PDU received by a client, or returned by a server
// handler to send one. DidNotExecute mirrors PFC_DID_NOT_EXECUTE.
type FaultError struct {
	Status        uint32
	DidNotExecute bool
}

func (e *FaultError) Error() string {
	if n := StatusName(e.Status); n != "" {
		return fmt.Sprintf("rpc: fault %s (0x%08x)", n, e.Status)
	}
	return fmt.Sprintf("rpc: fault 0x%08x", e.Status)
}

// RPCFaultStatus makes FaultError satisfy the handler error contract.
func (e *FaultError) RPCFaultStatus() uint32 { return e.Status }

// Bind_nak reject reasons (C706 12.6.4.4; [MS-RPCE] 2.2.2.5).
const (
	NakReasonNotSpecified     uint16 = 0
	NakTemporaryCongestion    uint16 = 1
	NakLocalLimitExceeded     uint16 = 2
	NakProtocolVersionNotSupp uint16 = 4
	NakAuthTypeNotRecognized  uint16 = 8
	NakInvalidChecksum        uint16 = 9
)

var nakNames = map[uint16]string{
	0: "reason_not_specified", 1: "temporary_congestion", 2: "local_limit_exceeded",
	3: "called_paddr_unknown", 4: "protocol_version_not_supported", 5: "default_context_not_supported",
	6: "user_data_not_readable", 7: "no_psap_available", 8: "authentication_type_not_recognized",
	9: "invalid_checksum",
}

// BindNakError is a bind_nak received by a client.
type BindNakError struct{ Reason uint16 }

func (e *BindNakError) Error() string {
	if n, ok := nakNames[e.Reason]; ok {
		return fmt.Sprintf("rpc: bind rejected: %s (%d)", n, e.Reason)
	}
	return fmt.Sprintf("rpc: bind rejected: reason %d", e.Reason)
}

// ContextRejectedError reports that the server accepted none of the
// offered presentation contexts (result and reason of the first element).
type ContextRejectedError struct{ Result, Reason uint16 }

func (e *ContextRejectedError) Error() string {
	return fmt.Sprintf("rpc: presentation context rejected: result %d reason %d", e.Result, e.Reason)
}

// faultStatusOf maps a handler error to a fault status and DID_NOT_EXECUTE.
// See [Handler] for the contract.
func faultStatusOf(err error) (status uint32, dne bool) {
	var fe *FaultError
	if errors.As(err, &fe) {
		return fe.Status, fe.DidNotExecute
	}
	if errors.Is(err, ErrInvalidStub) {
		return StatusBadStubData, true
	}
	var sf interface{ RPCFaultStatus() uint32 }
	if errors.As(err, &sf) {
		s := sf.RPCFaultStatus()
		return s, notExecuted(s)
	}
	return StatusCallFailed, false
}

func notExecuted(s uint32) bool {
	switch s {
	case StatusBadStubData, StatusOpRangeError, StatusUnknownInterface,
		StatusInvalidPresContext, StatusRemoteNoMemory:
		return true
	}
	return false
}
