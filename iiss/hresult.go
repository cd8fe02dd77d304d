package iiss

import (
	"errors"
	"fmt"
)

// HRESULT is a 32-bit status code ([MS-ERREF] 2.1). It implements error
// so that a server's answer can travel as a Go error; S_OK is never
// returned as an error. Use errors.Is(err, iiss.ErrResourceDisabled) or
// errors.As(err, &hr) to inspect it.
type HRESULT uint32

// HRESULT values used by IIS ServiceControl and IDispatch ([MS-IISS]
// 3.1.4.1-5; [MS-OAUT] 3.1.4; [MS-ERREF] 2.1, 2.3).
const (
	S_OK                          HRESULT = 0x00000000
	S_FALSE                       HRESULT = 0x00000001
	E_NOTIMPL                     HRESULT = 0x80004001
	E_NOINTERFACE                 HRESULT = 0x80004002
	E_FAIL                        HRESULT = 0x80004005
	E_UNEXPECTED                  HRESULT = 0x8000FFFF
	E_ACCESSDENIED                HRESULT = 0x80070005 // HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)
	E_OUTOFMEMORY                 HRESULT = 0x80070008 // HRESULT_FROM_WIN32(ERROR_NOT_ENOUGH_MEMORY), as [MS-IISS] lists it
	E_INVALIDARG                  HRESULT = 0x80070057
	ERROR_INSUFFICIENT_BUFFER     HRESULT = 0x8007007A
	ERROR_SERVICE_REQUEST_TIMEOUT HRESULT = 0x8007041D
	// ERROR_SERVICE_REQUEST_TIMEOUT_ALT is the 0x8000041D that [MS-IISS]
	// 3.1.4.2 gives in prose; it is accepted as the same condition
	// (wire-contract §9.3) but never sent.
	ERROR_SERVICE_REQUEST_TIMEOUT_ALT HRESULT = 0x8000041D
	ERROR_RESOURCE_DISABLED           HRESULT = 0x800710D5

	DISP_E_UNKNOWNINTERFACE HRESULT = 0x80020001
	DISP_E_MEMBERNOTFOUND   HRESULT = 0x80020003
	DISP_E_PARAMNOTFOUND    HRESULT = 0x80020004
	DISP_E_TYPEMISMATCH     HRESULT = 0x80020005
	DISP_E_UNKNOWNNAME      HRESULT = 0x80020006
	DISP_E_NONAMEDARGS      HRESULT = 0x80020007
	DISP_E_BADVARTYPE       HRESULT = 0x80020008
	DISP_E_EXCEPTION        HRESULT = 0x80020009
	DISP_E_OVERFLOW         HRESULT = 0x8002000A
	DISP_E_BADINDEX         HRESULT = 0x8002000B
	DISP_E_BADPARAMCOUNT    HRESULT = 0x8002000E
	DISP_E_PARAMNOTOPTIONAL HRESULT = 0x8002000F
)

// Sentinels for errors.Is. Each is an HRESULT, so an HRESULT returned by
// a server matches the sentinel of the same value.
var (
	ErrNotImpl               error = E_NOTIMPL
	ErrFail                  error = E_FAIL
	ErrAccessDenied          error = E_ACCESSDENIED
	ErrOutOfMemory           error = E_OUTOFMEMORY
	ErrInsufficientBuffer    error = ERROR_INSUFFICIENT_BUFFER
	ErrServiceRequestTimeout error = ERROR_SERVICE_REQUEST_TIMEOUT
	ErrResourceDisabled      error = ERROR_RESOURCE_DISABLED
)

var hresultNames = map[HRESULT]string{
	S_OK: "S_OK", S_FALSE: "S_FALSE", E_NOTIMPL: "E_NOTIMPL", E_NOINTERFACE: "E_NOINTERFACE",
	E_FAIL: "E_FAIL", E_UNEXPECTED: "E_UNEXPECTED", E_ACCESSDENIED: "E_ACCESSDENIED",
	E_OUTOFMEMORY: "E_OUTOFMEMORY", E_INVALIDARG: "E_INVALIDARG",
	ERROR_INSUFFICIENT_BUFFER:         "ERROR_INSUFFICIENT_BUFFER",
	ERROR_SERVICE_REQUEST_TIMEOUT:     "ERROR_SERVICE_REQUEST_TIMEOUT",
	ERROR_SERVICE_REQUEST_TIMEOUT_ALT: "ERROR_SERVICE_REQUEST_TIMEOUT",
	ERROR_RESOURCE_DISABLED:           "ERROR_RESOURCE_DISABLED",
	DISP_E_UNKNOWNINTERFACE:           "DISP_E_UNKNOWNINTERFACE", DISP_E_MEMBERNOTFOUND: "DISP_E_MEMBERNOTFOUND",
	DISP_E_PARAMNOTFOUND: "DISP_E_PARAMNOTFOUND", DISP_E_TYPEMISMATCH: "DISP_E_TYPEMISMATCH",
	DISP_E_UNKNOWNNAME: "DISP_E_UNKNOWNNAME", DISP_E_NONAMEDARGS: "DISP_E_NONAMEDARGS",
	DISP_E_BADVARTYPE: "DISP_E_BADVARTYPE", DISP_E_EXCEPTION: "DISP_E_EXCEPTION",
	DISP_E_OVERFLOW: "DISP_E_OVERFLOW", DISP_E_BADINDEX: "DISP_E_BADINDEX",
	DISP_E_BADPARAMCOUNT: "DISP_E_BADPARAMCOUNT", DISP_E_PARAMNOTOPTIONAL: "DISP_E_PARAMNOTOPTIONAL",
}

// FromWin32 is HRESULT_FROM_WIN32 ([MS-ERREF] 2.1.2): 0 stays S_OK,
// anything else becomes 0x8007xxxx.
func FromWin32(code uint32) HRESULT {
	if code == 0 || code&0x80000000 != 0 {
		return HRESULT(code)
	}
	return HRESULT(0x80070000 | code&0xFFFF)
}

// Failed reports whether the severity bit is set.
func (h HRESULT) Failed() bool { return h&0x80000000 != 0 }

// Name is the symbolic name of a known code, or "".
func (h HRESULT) Name() string { return hresultNames[h] }

// canonical folds the accepted variants of a code into one value.
func (h HRESULT) canonical() HRESULT {
	if h == ERROR_SERVICE_REQUEST_TIMEOUT_ALT {
		return ERROR_SERVICE_REQUEST_TIMEOUT
	}
	return h
}

func (h HRESULT) Error() string {
	if n := h.Name(); n != "" {
		return fmt.Sprintf("iiss: %s (0x%08X)", n, uint32(h))
	}
	return fmt.Sprintf("iiss: HRESULT 0x%08X", uint32(h))
}

// Is matches another HRESULT of the same value; 0x8000041D and
// 0x8007041D count as the same timeout.
func (h HRESULT) Is(target error) bool {
	t, ok := target.(HRESULT)
	return ok && t.canonical() == h.canonical()
}

// AsHRESULT extracts the HRESULT carried by err: S_OK for nil, the
// wrapped HRESULT if there is one, and ok=false otherwise.
func AsHRESULT(err error) (h HRESULT, ok bool) {
	if err == nil {
		return S_OK, true
	}
	if errors.As(err, &h) {
		return h, true
	}
	return E_FAIL, false
}

// Err is nil for a success code and h otherwise: the error a Service
// returns for a server's answer.
func (h HRESULT) Err() error {
	if !h.Failed() {
		return nil
	}
	return h
}
