package iisreset

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/hresult"
)

// HRESULTs a client meets besides the [MS-IISS] ones (defined by the
// library, which classifies errors).
const (
	ERROR_LOGON_FAILURE         = iiss.ERROR_LOGON_FAILURE
	ERROR_TIMEOUT               = iiss.ERROR_TIMEOUT
	ERROR_CANCELLED             = iiss.ERROR_CANCELLED
	RPC_S_SERVER_UNAVAILABLE    = iiss.RPC_S_SERVER_UNAVAILABLE
	RPC_S_SERVER_TOO_BUSY       = iiss.RPC_S_SERVER_TOO_BUSY
	RPC_S_CALL_FAILED           = iiss.RPC_S_CALL_FAILED
	RPC_S_CALL_FAILED_DNE       = iiss.RPC_S_CALL_FAILED_DNE
	RPC_S_PROTOCOL_ERROR        = iiss.RPC_S_PROTOCOL_ERROR
	RPC_S_UNKNOWN_AUTHN_SERVICE = iiss.RPC_S_UNKNOWN_AUTHN_SERVICE
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
	hresult.E_UNEXPECTED:           "Catastrophic failure",
	hresult.E_NOINTERFACE:          "No such interface supported",
	iiss.E_ERROR_NOT_ENOUGH_MEMORY: "Not enough memory resources are available to process this command.",
	hresult.E_INVALIDARG:           "The parameter is incorrect.",
	iiss.ERROR_INSUFFICIENT_BUFFER: "The data area passed to a system call is too small.",
	ERROR_LOGON_FAILURE:            "Logon failure: unknown user name or bad password.",
	ERROR_TIMEOUT:                  "This operation returned because the timeout period expired.",
	ERROR_CANCELLED:                "The operation was canceled by the user.",
	RPC_S_SERVER_UNAVAILABLE:       "The RPC server is unavailable.",
	RPC_S_SERVER_TOO_BUSY:          "The RPC server is too busy to complete this operation.",
	RPC_S_CALL_FAILED:              "The remote procedure call failed.",
	RPC_S_CALL_FAILED_DNE:          "The remote procedure call failed and did not execute.",
	RPC_S_UNKNOWN_AUTHN_SERVICE:    "The authentication service is unknown.",
	RPC_S_PROTOCOL_ERROR:           "A remote procedure call (RPC) protocol error occurred.",
}

// causes name what Windows' one message hides ("The RPC server is
// unavailable." for a DNS failure and a refused port alike).
var causes = map[iiss.Kind]string{
	iiss.KindHostNotFound: "the host name does not resolve",
	iiss.KindDialTimeout:  "no answer within the dial timeout",
	iiss.KindClosed:       "the server closed the connection",
	iiss.KindNotRPC:       "the port does not speak DCE/RPC",
	iiss.KindWrongPort:    "the port is not DCOM activation",
}

// Describe renders err as iisreset does: a message, then the HRESULT in
// decimal and in hex, e.g. "The RPC server is unavailable. (2147944122,
// 800706ba)". Errors carrying no HRESULT are classified by [Code].
func Describe(err error) string {
	h := Code(err)
	return fmt.Sprintf("%s (%d, %x)", Message(err), uint32(h), uint32(h))
}

// Message is the text of Describe without the code: Windows' text for
// the HRESULT, and the precise cause when the HRESULT hides it ("The RPC
// server is unavailable: the host name does not resolve.").
// Errors classified as E_FAIL only because nothing else matched keep
// their own text.
func Message(err error) string {
	h, carried := iiss.AsHRESULT(err)
	if !carried && h == iiss.E_FAIL {
		return err.Error()
	}
	m, ok := messages[h]
	switch {
	case !ok && h.Name() != "":
		m = h.Name()
	case !ok:
		m = "Unknown error"
	}
	k := iiss.Classify(err)
	if c, ok := causes[k]; ok {
		m = strings.TrimSuffix(m, ".") + ": " + c + "."
	} else if k == iiss.KindUnreachable && errors.Is(err, syscall.ECONNREFUSED) {
		m = strings.TrimSuffix(m, ".") + ": connection refused."
	}
	return m
}

// Code is the HRESULT that stands for err, as Windows would report it
// ([iiss.AsHRESULT]): E_FAIL when nothing more precise matches.
func Code(err error) iiss.HRESULT {
	h, _ := iiss.AsHRESULT(err)
	return h
}
