package iisreset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// HRESULTs a client meets besides the [MS-IISS] ones: what Windows
// reports for the same transport and logon failures ([MS-ERREF] 2.2,
// wrapped with HRESULT_FROM_WIN32).
const (
	ERROR_LOGON_FAILURE         iiss.HRESULT = 0x8007052E // 1326
	ERROR_TIMEOUT               iiss.HRESULT = 0x800705B4 // 1460
	ERROR_CANCELLED             iiss.HRESULT = 0x800704C7 // 1223
	RPC_S_SERVER_UNAVAILABLE    iiss.HRESULT = 0x800706BA // 1722
	RPC_S_SERVER_TOO_BUSY       iiss.HRESULT = 0x800706BB // 1723
	RPC_S_CALL_FAILED           iiss.HRESULT = 0x800706BE // 1726
	RPC_S_CALL_FAILED_DNE       iiss.HRESULT = 0x800706BF // 1727
	RPC_S_UNKNOWN_AUTHN_SERVICE iiss.HRESULT = 0x800706D3 // 1747
)

// AccessDeniedText is what iisreset prints for E_ACCESSDENIED.
const AccessDeniedText = "Access denied, you must be an administrator of the remote computer to use this command. " +
	"Either have your account added to the administrator local group of the remote computer " +
	"or to the domain administrator global group."

// messages are the texts printed before the code. Most are Windows'
// FormatMessage texts; access denied is iisreset's own message, and the
// disabled text is our wording of iisreset's (whose exact text is not
// public).
var messages = map[iiss.HRESULT]string{
	iiss.E_ACCESSDENIED:                    AccessDeniedText,
	iiss.ERROR_SERVICE_REQUEST_TIMEOUT:     "The service did not respond to the start or control request in a timely fashion.",
	iiss.ERROR_SERVICE_REQUEST_TIMEOUT_ALT: "The service did not respond to the start or control request in a timely fashion.",
	iiss.ERROR_RESOURCE_DISABLED: "Remote control of the Internet services has been disabled on the computer. " +
		"Run iisreset /enable on that computer to allow it.",
	iiss.E_NOTIMPL:                 "Not implemented",
	iiss.E_FAIL:                    "Unspecified error",
	iiss.E_UNEXPECTED:              "Catastrophic failure",
	iiss.E_NOINTERFACE:             "No such interface supported",
	iiss.E_ERROR_NOT_ENOUGH_MEMORY: "Not enough memory resources are available to process this command.",
	iiss.E_INVALIDARG:              "The parameter is incorrect.",
	iiss.ERROR_INSUFFICIENT_BUFFER: "The data area passed to a system call is too small.",
	ERROR_LOGON_FAILURE:            "Logon failure: unknown user name or bad password.",
	ERROR_TIMEOUT:                  "This operation returned because the timeout period expired.",
	ERROR_CANCELLED:                "The operation was canceled by the user.",
	RPC_S_SERVER_UNAVAILABLE:       "The RPC server is unavailable.",
	RPC_S_SERVER_TOO_BUSY:          "The RPC server is too busy to complete this operation.",
	RPC_S_CALL_FAILED:              "The remote procedure call failed.",
	RPC_S_CALL_FAILED_DNE:          "The remote procedure call failed and did not execute.",
	RPC_S_UNKNOWN_AUTHN_SERVICE:    "The authentication service is unknown.",
}

// Describe renders err as iisreset does: a message, then the HRESULT in
// decimal and in hex, e.g. "The RPC server is unavailable. (2147944122,
// 800706ba)". Errors carrying no HRESULT are classified by [Code].
func Describe(err error) string {
	h := Code(err)
	return fmt.Sprintf("%s (%d, %x)", Message(err), uint32(h), uint32(h))
}

// Message is the text of Describe without the code.
// Errors classified as E_FAIL only because nothing else matched keep
// their own text.
func Message(err error) string {
	h := Code(err)
	if _, carried := iiss.AsHRESULT(err); !carried && h == iiss.E_FAIL {
		return err.Error()
	}
	if m, ok := messages[h]; ok {
		return m
	}
	if n := h.Name(); n != "" {
		return n
	}
	return "Unknown error"
}

// Code is the HRESULT that stands for err, as Windows would report it:
// the HRESULT err carries, else ERROR_LOGON_FAILURE for a failed NTLM
// logon, E_ACCESSDENIED for an access-denied fault,
// RPC_S_SERVER_UNAVAILABLE when the server cannot be reached,
// RPC_S_CALL_FAILED when the connection breaks, ERROR_TIMEOUT and
// ERROR_CANCELLED for the context, and E_FAIL for anything else.
func Code(err error) iiss.HRESULT {
	if err == nil {
		return iiss.S_OK
	}
	if errors.Is(err, ntlm.ErrLogonFailure) || errors.Is(err, rpc.ErrAuth) {
		return ERROR_LOGON_FAILURE
	}
	if h, ok := iiss.AsHRESULT(err); ok {
		return h
	}
	if h, ok := rpcCode(err); ok {
		return h
	}
	return netCode(err)
}

// rpcCode maps the rpc package's errors.
func rpcCode(err error) (iiss.HRESULT, bool) {
	var fe *rpc.FaultError
	var nak *rpc.BindNakError
	switch {
	case errors.As(err, &fe):
		return faultCode(fe.Status), true
	case errors.As(err, &nak) && nak.Reason == rpc.NakAuthTypeNotRecognized:
		return RPC_S_UNKNOWN_AUTHN_SERVICE, true
	case errors.As(err, &nak):
		return RPC_S_CALL_FAILED_DNE, true
	case errors.Is(err, rpc.ErrConnClosed), errors.Is(err, rpc.ErrProtocol):
		return RPC_S_CALL_FAILED, true
	}
	return 0, false
}

// faultCode maps a fault status: Win32 codes are wrapped, HRESULTs kept,
// and NCA statuses become RPC_S_CALL_FAILED.
func faultCode(status uint32) iiss.HRESULT {
	switch {
	case status&0x80000000 != 0:
		return iiss.HRESULT(status)
	case status == rpc.StatusUnknownAuthnService:
		return RPC_S_UNKNOWN_AUTHN_SERVICE
	case status < 0x10000:
		return iiss.FromWin32(status)
	}
	return RPC_S_CALL_FAILED
}

// netCode maps context, socket and name-resolution errors.
func netCode(err error) iiss.HRESULT {
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return ERROR_CANCELLED
	case errors.As(err, &dns), errors.As(err, &op) && op.Op == "dial",
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return RPC_S_SERVER_UNAVAILABLE
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ERROR_TIMEOUT
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, net.ErrClosed), errors.As(err, &op):
		return RPC_S_CALL_FAILED
	}
	return iiss.E_FAIL
}
