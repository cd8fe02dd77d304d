package iiss

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// HRESULTs a client meets besides the [MS-IISS] ones: what Windows
// reports for the same logon and transport failures ([MS-ERREF] 2.2,
// as HRESULT_FROM_WIN32).
const (
	ERROR_LOGON_FAILURE         = hresult.ERROR_LOGON_FAILURE         // 1326: unknown user name or bad password
	ERROR_TIMEOUT               = hresult.ERROR_TIMEOUT               // 1460
	ERROR_CANCELLED             = hresult.ERROR_CANCELLED             // 1223
	RPC_S_SERVER_UNAVAILABLE    = hresult.RPC_S_SERVER_UNAVAILABLE    // 1722
	RPC_S_SERVER_TOO_BUSY       = hresult.RPC_S_SERVER_TOO_BUSY       // 1723
	RPC_S_CALL_FAILED           = hresult.RPC_S_CALL_FAILED           // 1726
	RPC_S_CALL_FAILED_DNE       = hresult.RPC_S_CALL_FAILED_DNE       // 1727
	RPC_S_PROTOCOL_ERROR        = hresult.RPC_S_PROTOCOL_ERROR        // 1728
	RPC_S_UNKNOWN_AUTHN_SERVICE = hresult.RPC_S_UNKNOWN_AUTHN_SERVICE // 1747
)

// Kind is what went wrong, as a program needs to know it to act: retry
// later, fix the password, open a port, ask for the admin role. Every
// error of this package has one ([Classify]); each Kind but KindOther
// also matches sentinels with errors.Is (see the constants).
type Kind int

// Kinds of failure.
const (
	KindNone             Kind = iota // no error
	KindOther                        // none of the below: see the error's text
	KindLogonFailure                 // ErrLogonFailure: unknown user, wrong password or hash
	KindAccessDenied                 // ErrAccessDenied: logged on, but not an administrator
	KindAuthNotSupported             // ErrAuthNotSupported: the server refuses the security provider or level
	KindHostNotFound                 // ErrHostNotFound, ErrUnreachable: the name does not resolve
	KindUnreachable                  // ErrUnreachable: connection refused, no route to the host
	KindDialTimeout                  // ErrDialTimeout, ErrTimeout, ErrUnreachable: no answer while connecting
	KindClosed                       // ErrConnectionClosed: the server closed or broke the connection
	KindBusy                         // ErrServerBusy: the server refused the connection at its limit
	KindNotRPC                       // ErrNotRPC, ErrUnreachable: the peer does not speak DCE/RPC
	KindWrongPort                    // ErrWrongPort, ErrUnreachable: a DCE/RPC endpoint, but not DCOM activation
	KindTimeout                      // ErrTimeout: the services did not finish in time, or the call's deadline passed
	KindDisabled                     // ErrResourceDisabled: remote control is disabled on the server
	KindNotImplemented               // ErrNotImpl: the server does not implement the call (Windows: Reboot)
	KindCanceled                     // context.Canceled: the caller gave up
)

var kindNames = [...]string{
	KindNone: "none", KindOther: "other", KindLogonFailure: "logon-failure", KindAccessDenied: "access-denied",
	KindAuthNotSupported: "auth-not-supported", KindHostNotFound: "host-not-found", KindUnreachable: "unreachable",
	KindDialTimeout: "dial-timeout", KindClosed: "connection-closed", KindBusy: "server-busy", KindNotRPC: "not-rpc",
	KindWrongPort: "wrong-port", KindTimeout: "timeout", KindDisabled: "disabled",
	KindNotImplemented: "not-implemented", KindCanceled: "canceled",
}

// String is a stable, lower-case name ("logon-failure", "dial-timeout"),
// as iisctl prints it in --json.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinels for errors.Is. The HRESULT ones also match a server's answer
// of that value. Several kinds match more than one: a DNS failure is
// ErrHostNotFound and ErrUnreachable; a dial timeout is ErrDialTimeout,
// ErrTimeout and ErrUnreachable.
var (
	ErrNotImpl               error = E_NOTIMPL
	ErrFail                  error = E_FAIL
	ErrAccessDenied          error = E_ACCESSDENIED
	ErrLogonFailure          error = ERROR_LOGON_FAILURE
	ErrNotEnoughMemory       error = E_ERROR_NOT_ENOUGH_MEMORY
	ErrInsufficientBuffer    error = ERROR_INSUFFICIENT_BUFFER
	ErrServiceRequestTimeout error = ERROR_SERVICE_REQUEST_TIMEOUT
	ErrResourceDisabled      error = ERROR_RESOURCE_DISABLED
	ErrUnreachable           error = RPC_S_SERVER_UNAVAILABLE
	ErrAuthNotSupported      error = RPC_S_UNKNOWN_AUTHN_SERVICE
	ErrServerBusy            error = RPC_S_SERVER_TOO_BUSY

	ErrTimeout          = errors.New("iiss: timeout")
	ErrHostNotFound     = errors.New("iiss: host not found")
	ErrDialTimeout      = errors.New("iiss: no answer while connecting")
	ErrConnectionClosed = errors.New("iiss: connection closed by the server")
	ErrNotRPC           = errors.New("iiss: not a DCE/RPC server")
	ErrWrongPort        = errors.New("iiss: not a DCOM activation port")
)

// sentinels are the targets each kind matches besides its HRESULT.
var sentinels = map[Kind][]error{
	KindHostNotFound: {ErrHostNotFound, ErrUnreachable},
	KindUnreachable:  {ErrUnreachable},
	KindDialTimeout:  {ErrDialTimeout, ErrTimeout, ErrUnreachable},
	KindClosed:       {ErrConnectionClosed},
	KindBusy:         {ErrServerBusy, ErrConnectionClosed},
	KindNotRPC:       {ErrNotRPC, ErrUnreachable},
	KindWrongPort:    {ErrWrongPort, ErrUnreachable},
	KindTimeout:      {ErrTimeout},
}

// Error is a classified failure of [Dial] or of a [Client] call. It
// wraps the cause (a socket error, an RPC fault, an HRESULT) and the
// HRESULT Windows reports for the same failure, so errors.Is and
// errors.As see both, and [AsHRESULT] returns the latter.
type Error struct {
	Kind    Kind
	Code    HRESULT       // what Windows reports for it, e.g. RPC_S_SERVER_UNAVAILABLE
	Addr    string        // "host:port" the failure concerns, when known
	Timeout time.Duration // the dial timeout that expired (KindDialTimeout)
	Err     error         // the cause
}

func (e *Error) Error() string {
	where := e.Addr
	if where == "" {
		where = "the server"
	}
	switch e.Kind {
	case KindHostNotFound:
		return fmt.Sprintf("iiss: cannot resolve the host name of %s: %v", where, e.Err)
	case KindUnreachable:
		return fmt.Sprintf("iiss: cannot connect to %s: %v", where, e.Err)
	case KindDialTimeout:
		var op *net.OpError
		if errors.As(e.Err, &op) && op.Op == "dial" {
			return fmt.Sprintf("iiss: no answer from %s within %v while connecting: %v", where, e.Timeout, e.Err)
		}
		return fmt.Sprintf("iiss: %s accepted the connection but did not answer within %v: %v", where, e.Timeout, e.Err)
	case KindClosed:
		return fmt.Sprintf("iiss: %s closed the connection: %v", where, e.Err)
	case KindBusy:
		return fmt.Sprintf("iiss: %s refused the connection at its limit: %v", where, e.Err)
	case KindNotRPC:
		return fmt.Sprintf("iiss: %s does not speak DCE/RPC: %v", where, e.Err)
	case KindWrongPort:
		return fmt.Sprintf("iiss: %s is a DCE/RPC endpoint without DCOM activation (not the activation port?): %v", where, e.Err)
	case KindLogonFailure:
		return fmt.Sprintf("iiss: logon failure at %s (unknown user name or bad password): %v", where, e.Err)
	case KindAuthNotSupported:
		return fmt.Sprintf("iiss: %s does not accept the authentication: %v", where, e.Err)
	}
	return e.Err.Error()
}

// Unwrap returns the HRESULT and the cause.
func (e *Error) Unwrap() []error { return []error{e.Code, e.Err} }

// Is matches the kind's sentinels (ErrUnreachable for ErrHostNotFound…).
func (e *Error) Is(target error) bool {
	for _, s := range sentinels[e.Kind] {
		if target == s {
			return true
		}
	}
	return false
}

// Classify says what kind of failure err is. It reads the chain: an
// [*Error], the HRESULT a server answered, RPC faults and bind refusals,
// NTLM logon failures, context and socket errors.
func Classify(err error) Kind {
	if err == nil {
		return KindNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	k, _ := classify(err, false)
	return k
}

// AsHRESULT returns the HRESULT that stands for err, as Windows would
// report it: S_OK for nil; the HRESULT err carries (a server's answer,
// an activation failure such as E_ACCESSDENIED for a non-administrator);
// else the code of its [Kind] (ERROR_LOGON_FAILURE for a wrong password,
// RPC_S_SERVER_UNAVAILABLE when the server cannot be reached,
// RPC_S_CALL_FAILED when the connection broke, ERROR_TIMEOUT,
// ERROR_CANCELLED). ok is false, with E_FAIL, when nothing matched.
func AsHRESULT(err error) (h HRESULT, ok bool) {
	if err == nil {
		return S_OK, true
	}
	if errors.As(err, &h) {
		return h, true
	}
	if k, code := classify(err, false); k != KindOther {
		return code, true
	}
	return E_FAIL, false
}

// classify maps err to a kind and the HRESULT Windows reports for it.
// dialing says err ended Dial, before any call: a broken first exchange
// tells something about the peer then.
func classify(err error, dialing bool) (Kind, HRESULT) {
	var h HRESULT
	var fe *rpc.FaultError
	var nak *rpc.BindNakError
	var rej *rpc.ContextRejectedError
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, ntlm.ErrLogonFailure), errors.Is(err, rpc.ErrAuth), errors.Is(err, kerberos.ErrPreauth):
		return KindLogonFailure, ERROR_LOGON_FAILURE
	case errors.As(err, &h):
		return kindOf(h), h
	case errors.As(err, &fe):
		h := faultCode(fe.Status)
		if fe.Status == rpc.StatusAccessDenied {
			// A bare ERROR_ACCESS_DENIED fault comes from the RPC layer:
			// the NTLM AUTHENTICATE (auth3) or the level was refused
			// ([MS-RPCE] 3.3.1.5.2.1). A DCOM-level denial is an HRESULT.
			return KindLogonFailure, ERROR_LOGON_FAILURE
		}
		return kindOf(h), h
	case errors.As(err, &nak):
		switch nak.Reason {
		case rpc.NakAuthTypeNotRecognized:
			return KindAuthNotSupported, RPC_S_UNKNOWN_AUTHN_SERVICE
		case rpc.NakTemporaryCongestion, rpc.NakLocalLimitExceeded:
			return KindBusy, RPC_S_SERVER_TOO_BUSY
		case rpc.NakInvalidChecksum:
			// The first security leg failed: a Kerberos AP-REQ the server
			// refused (wrong key, SPN, clock, replay).
			return KindLogonFailure, ERROR_LOGON_FAILURE
		}
		return KindWrongPort, RPC_S_CALL_FAILED_DNE
	case errors.As(err, &rej):
		return KindWrongPort, RPC_S_SERVER_UNAVAILABLE
	case errors.Is(err, context.Canceled):
		return KindCanceled, ERROR_CANCELLED
	case errors.As(err, &dns):
		return KindHostNotFound, RPC_S_SERVER_UNAVAILABLE
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.As(err, &op) && op.Op == "dial" && !timeout(err):
		return KindUnreachable, RPC_S_SERVER_UNAVAILABLE
	case timeout(err):
		if dialing {
			return KindDialTimeout, RPC_S_SERVER_UNAVAILABLE
		}
		return KindTimeout, ERROR_TIMEOUT
	case errors.Is(err, rpc.ErrMalformedPDU), errors.Is(err, rpc.ErrShortPDU), errors.Is(err, rpc.ErrUnknownPType):
		if dialing {
			return KindNotRPC, RPC_S_SERVER_UNAVAILABLE
		}
		return KindOther, RPC_S_PROTOCOL_ERROR
	case errors.Is(err, rpc.ErrProtocol):
		return KindOther, RPC_S_PROTOCOL_ERROR
	case errors.Is(err, rpc.ErrConnClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed),
		errors.As(err, &op):
		return KindClosed, RPC_S_CALL_FAILED
	}
	return KindOther, E_FAIL
}

func timeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

// kindOf classifies an HRESULT.
func kindOf(h HRESULT) Kind {
	switch h {
	case E_ACCESSDENIED:
		return KindAccessDenied
	case ERROR_LOGON_FAILURE:
		return KindLogonFailure
	case RPC_S_UNKNOWN_AUTHN_SERVICE:
		return KindAuthNotSupported
	case RPC_S_SERVER_UNAVAILABLE:
		return KindUnreachable
	case RPC_S_SERVER_TOO_BUSY:
		return KindBusy
	case RPC_S_CALL_FAILED, RPC_S_CALL_FAILED_DNE, hresult.RPC_E_DISCONNECTED:
		return KindClosed
	case ERROR_SERVICE_REQUEST_TIMEOUT, ERROR_SERVICE_REQUEST_TIMEOUT_ALT, ERROR_TIMEOUT:
		return KindTimeout
	case ERROR_RESOURCE_DISABLED:
		return KindDisabled
	case E_NOTIMPL:
		return KindNotImplemented
	case ERROR_CANCELLED:
		return KindCanceled
	}
	return KindOther
}

// faultCode maps a fault status: HRESULTs are kept, Win32 codes wrapped,
// and NCA statuses become RPC_S_CALL_FAILED.
func faultCode(status uint32) HRESULT {
	switch {
	case status&0x80000000 != 0:
		return HRESULT(status)
	case status < 0x10000:
		return FromWin32(status)
	}
	return RPC_S_CALL_FAILED
}

// classified wraps a call's error with its kind, unless it is nil, an
// HRESULT the server answered, or of no known kind.
func classified(err error) error {
	return wrap(err, false, "", 0)
}

// dialError classifies a failure of Dial at addr.
//
// A deadline is the caller's when ctx's own deadline has passed, even if
// ctx.Err() is still nil: the socket deadlines come from the same instant
// as ctx's timer, which may not have fired yet. Then the time the caller
// allowed (from start to its deadline) is what the error names, never
// the longer dial timeout that did not expire.
func dialError(ctx context.Context, host string, port int, timeout time.Duration, start time.Time, err error) error {
	dl, hasDL := ctx.Deadline()
	callers := ctx.Err() != nil || hasDL && !time.Now().Before(dl)
	switch {
	case callers && hasDL && timeout > 0 && dl.Sub(start) < timeout:
		timeout = dl.Sub(start).Round(time.Millisecond)
	case !callers && timeout > 0 && errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("%w (dial timeout %v)", err, timeout)
	}
	return wrap(err, true, net.JoinHostPort(host, strconv.Itoa(port)), timeout)
}

func wrap(err error, dialing bool, addr string, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	var e *Error
	var h HRESULT
	if errors.As(err, &e) || errors.As(err, &h) {
		return err
	}
	k, code := classify(err, dialing)
	if k == KindOther {
		return err
	}
	return &Error{Kind: k, Code: code, Addr: addr, Timeout: timeout, Err: err}
}
