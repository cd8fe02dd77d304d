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

// HRESULT values IIS ServiceControl answers ([MS-IISS] 3.1.4.1-5;
// [MS-ERREF] 2.1, 2.3). IDispatch's DISP_E_* codes stay internal: a Go
// client never calls through IDispatch.
const (
	S_OK                              = hresult.S_OK
	E_NOTIMPL                         = hresult.E_NOTIMPL
	E_FAIL                            = hresult.E_FAIL
	E_ACCESSDENIED                    = hresult.E_ACCESSDENIED
	E_ERROR_NOT_ENOUGH_MEMORY         = hresult.E_ERROR_NOT_ENOUGH_MEMORY
	ERROR_INSUFFICIENT_BUFFER         = hresult.ERROR_INSUFFICIENT_BUFFER
	ERROR_SERVICE_REQUEST_TIMEOUT     = hresult.ERROR_SERVICE_REQUEST_TIMEOUT
	ERROR_SERVICE_REQUEST_TIMEOUT_ALT = hresult.ERROR_SERVICE_REQUEST_TIMEOUT_ALT
	ERROR_RESOURCE_DISABLED           = hresult.ERROR_RESOURCE_DISABLED
)

// FromWin32 is HRESULT_FROM_WIN32 ([MS-ERREF] 2.1.2).
func FromWin32(code uint32) HRESULT { return hresult.FromWin32(code) }
