package iiss

import (
	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/internal/iisswire"
)

// Test-only exports: the wire stubs stay unexported in the package API,
// but the external tests exercise them byte for byte.

type (
	StatusResponse           = iisswire.StatusResponse
	StatusRequest            = iisswire.StatusRequest
	GetTypeInfoRequest       = iisswire.GetTypeInfoRequest
	GetTypeInfoCountResponse = iisswire.GetTypeInfoCountResponse
	GetTypeInfoResponse      = iisswire.GetTypeInfoResponse
	GetIDsOfNamesRequest     = iisswire.GetIDsOfNamesRequest
	GetIDsOfNamesResponse    = iisswire.GetIDsOfNamesResponse
	InvokeRequest            = iisswire.InvokeRequest
	ExcepInfo                = iisswire.ExcepInfo
	InvokeResponse           = iisswire.InvokeResponse
	Variant                  = iisswire.Variant
	OffsetUnit               = iisswire.OffsetUnit
	StatusFetchOptions       = statusFetchOptions
	Object                   = object
	ObjectOptions            = objectOptions
)

const (
	OpGetTypeInfoCount = iisswire.OpGetTypeInfoCount
	OpGetTypeInfo      = iisswire.OpGetTypeInfo
	OpGetIDsOfNames    = iisswire.OpGetIDsOfNames
	OpInvoke           = iisswire.OpInvoke
	OpStop             = iisswire.OpStop
	OpStart            = iisswire.OpStart
	OpReboot           = iisswire.OpReboot
	OpStatus           = iisswire.OpStatus
	OpKill             = iisswire.OpKill
	DispIDStop         = iisswire.DispIDStop
	DispIDReboot       = iisswire.DispIDReboot
	DispIDStatus       = iisswire.DispIDStatus
	DispIDKill         = iisswire.DispIDKill
	VT_EMPTY           = iisswire.VT_EMPTY
	VT_NULL            = iisswire.VT_NULL
	VT_I2              = iisswire.VT_I2
	VT_I4              = iisswire.VT_I4
	VT_R8              = iisswire.VT_R8
	VT_BSTR            = iisswire.VT_BSTR
	VT_ERROR           = iisswire.VT_ERROR
	VT_BOOL            = iisswire.VT_BOOL
	VT_VARIANT         = iisswire.VT_VARIANT
	VT_I1              = iisswire.VT_I1
	VT_UI1             = iisswire.VT_UI1
	VT_UI2             = iisswire.VT_UI2
	VT_I8              = iisswire.VT_I8
	VT_INT             = iisswire.VT_INT
	VT_UINT            = iisswire.VT_UINT
	VT_BYREF           = iisswire.VT_BYREF
	OffsetWCHAR        = iisswire.OffsetWCHAR
	OffsetBytes        = iisswire.OffsetBytes
)

var (
	ErrBadStatusBlob            = iisswire.ErrBadStatusBlob
	EncodeStopRequest           = iisswire.EncodeStopRequest
	EncodeStartRequest          = iisswire.EncodeStartRequest
	EncodeRebootRequest         = iisswire.EncodeRebootRequest
	EncodeStatusRequest         = iisswire.EncodeStatusRequest
	DecodeStatusResponse        = iisswire.DecodeStatusResponse
	DecodeGetIDsOfNamesResponse = iisswire.DecodeGetIDsOfNamesResponse
	MethodCall                  = iisswire.MethodCall
	EncodeInvokeRequest         = iisswire.EncodeInvokeRequest
	DecodeInvokeResponse        = iisswire.DecodeInvokeResponse
	VI2                         = iisswire.VI2
	VI4                         = iisswire.VI4
	VUI4                        = iisswire.VUI4
	VBool                       = iisswire.VBool
	VBSTR                       = iisswire.VBSTR

	FetchStatus = fetchStatus
	NewClient   = newClient
	NewObject   = newObject
)

// The STATUS_BLOB helpers, on the API's ServiceStatus.

func RequiredSize(l []ServiceStatus) int        { return iisswire.RequiredSize(entries(l)) }
func EncodeStatusBlob(l []ServiceStatus) []byte { return iisswire.EncodeStatusBlob(entries(l)) }
func EncodeStatusBlobUnit(l []ServiceStatus, u OffsetUnit) []byte {
	return iisswire.EncodeStatusBlobUnit(entries(l), u)
}
func DecodeStatusBlob(b []byte, n uint32) ([]ServiceStatus, OffsetUnit, error) {
	l, u, err := iisswire.DecodeStatusBlob(b, n)
	return statuses(l), u, err
}

// HRESULTs of IDispatch and others the API does not export.
const (
	S_FALSE                 = hresult.S_FALSE
	E_NOINTERFACE           = hresult.E_NOINTERFACE
	E_UNEXPECTED            = hresult.E_UNEXPECTED
	E_OUTOFMEMORY           = hresult.E_OUTOFMEMORY
	E_INVALIDARG            = hresult.E_INVALIDARG
	DISP_E_UNKNOWNINTERFACE = hresult.DISP_E_UNKNOWNINTERFACE
	DISP_E_MEMBERNOTFOUND   = hresult.DISP_E_MEMBERNOTFOUND
	DISP_E_PARAMNOTFOUND    = hresult.DISP_E_PARAMNOTFOUND
	DISP_E_TYPEMISMATCH     = hresult.DISP_E_TYPEMISMATCH
	DISP_E_UNKNOWNNAME      = hresult.DISP_E_UNKNOWNNAME
	DISP_E_NONAMEDARGS      = hresult.DISP_E_NONAMEDARGS
	DISP_E_BADVARTYPE       = hresult.DISP_E_BADVARTYPE
	DISP_E_EXCEPTION        = hresult.DISP_E_EXCEPTION
	DISP_E_OVERFLOW         = hresult.DISP_E_OVERFLOW
	DISP_E_BADINDEX         = hresult.DISP_E_BADINDEX
	DISP_E_BADPARAMCOUNT    = hresult.DISP_E_BADPARAMCOUNT
	DISP_E_PARAMNOTOPTIONAL = hresult.DISP_E_PARAMNOTOPTIONAL
)

var IID_IDispatch = iidIDispatch

// WatchSeen is how many events the disable switch's watch has handled.
func (f *FileDisableState) WatchSeen() uint64 { return f.seen.Load() }

// Cached reports whether Disabled answers from the cache.
func (f *FileDisableState) Cached() bool { return f.cached.Load() != cacheOff }
