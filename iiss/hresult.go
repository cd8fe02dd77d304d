package iiss

import (
	"github.com/iisctl/iisctl/internal/hresult"
)

// HRESULT is a 32-bit status code ([MS-ERREF] 2.1), the one type the
// whole stack uses. It implements error so that a server's answer can
// travel as a Go error; S_OK is never returned as an error. Its methods:
// Failed (the severity bit), Name ("E_ACCESSDENIED", or "" when unknown),
// String ("E_ACCESSDENIED (0x80070005)"), Err (nil for success codes),
// and Is, which makes errors.Is(err, iiss.ErrResourceDisabled) match an
// answer of that value (0x8000041D and 0x8007041D count as one timeout).
// errors.As(err, &hr) or AsHRESULT extracts it.
type HRESULT = hresult.HRESULT

// HRESULT values used by IIS ServiceControl and IDispatch ([MS-IISS]
// 3.1.4.1-5; [MS-OAUT] 3.1.4; [MS-ERREF] 2.1, 2.3).
const (
	S_OK                              = hresult.S_OK
	S_FALSE                           = hresult.S_FALSE
	E_NOTIMPL                         = hresult.E_NOTIMPL
	E_NOINTERFACE                     = hresult.E_NOINTERFACE
	E_FAIL                            = hresult.E_FAIL
	E_UNEXPECTED                      = hresult.E_UNEXPECTED
	E_ACCESSDENIED                    = hresult.E_ACCESSDENIED
	E_OUTOFMEMORY                     = hresult.E_OUTOFMEMORY
	E_INVALIDARG                      = hresult.E_INVALIDARG
	E_ERROR_NOT_ENOUGH_MEMORY         = hresult.E_ERROR_NOT_ENOUGH_MEMORY
	ERROR_INSUFFICIENT_BUFFER         = hresult.ERROR_INSUFFICIENT_BUFFER
	ERROR_SERVICE_REQUEST_TIMEOUT     = hresult.ERROR_SERVICE_REQUEST_TIMEOUT
	ERROR_SERVICE_REQUEST_TIMEOUT_ALT = hresult.ERROR_SERVICE_REQUEST_TIMEOUT_ALT
	ERROR_RESOURCE_DISABLED           = hresult.ERROR_RESOURCE_DISABLED
	DISP_E_UNKNOWNINTERFACE           = hresult.DISP_E_UNKNOWNINTERFACE
	DISP_E_MEMBERNOTFOUND             = hresult.DISP_E_MEMBERNOTFOUND
	DISP_E_PARAMNOTFOUND              = hresult.DISP_E_PARAMNOTFOUND
	DISP_E_TYPEMISMATCH               = hresult.DISP_E_TYPEMISMATCH
	DISP_E_UNKNOWNNAME                = hresult.DISP_E_UNKNOWNNAME
	DISP_E_NONAMEDARGS                = hresult.DISP_E_NONAMEDARGS
	DISP_E_BADVARTYPE                 = hresult.DISP_E_BADVARTYPE
	DISP_E_EXCEPTION                  = hresult.DISP_E_EXCEPTION
	DISP_E_OVERFLOW                   = hresult.DISP_E_OVERFLOW
	DISP_E_BADINDEX                   = hresult.DISP_E_BADINDEX
	DISP_E_BADPARAMCOUNT              = hresult.DISP_E_BADPARAMCOUNT
	DISP_E_PARAMNOTOPTIONAL           = hresult.DISP_E_PARAMNOTOPTIONAL
)

// FromWin32 is HRESULT_FROM_WIN32 ([MS-ERREF] 2.1.2).
func FromWin32(code uint32) HRESULT { return hresult.FromWin32(code) }
