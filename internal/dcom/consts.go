package dcom

import (
	"github.com/iisctl/iisctl/internal/hresult"

	"github.com/iisctl/iisctl/ndr"
)

// Interface identifiers ([MS-DCOM] 1.9; [MS-OAUT] 1.9; [MS-IISS] 1.9).
var (
	IID_IObjectExporter     = ndr.MustGUID("99fcfec4-5260-101b-bbcb-00aa0021347a")
	IID_IRemoteSCMActivator = ndr.MustGUID("000001a0-0000-0000-c000-000000000046")
	IID_IActivation         = ndr.MustGUID("4d9f4ab8-7d1c-11cf-861e-0020af6e7c57")
	IID_IRemUnknown         = ndr.MustGUID("00000131-0000-0000-c000-000000000046")
	IID_IRemUnknown2        = ndr.MustGUID("00000143-0000-0000-c000-000000000046")
	IID_IUnknown            = ndr.MustGUID("00000000-0000-0000-c000-000000000046")
	IID_IDispatch           = ndr.MustGUID("00020400-0000-0000-c000-000000000046")
	// IID_IActivationPropertiesIn and ...Out are the iids of the OBJREF_CUSTOM
	// wrapping an activation properties BLOB ([MS-DCOM] 2.2.22).
	IID_IActivationPropertiesIn  = ndr.MustGUID("000001a2-0000-0000-c000-000000000046")
	IID_IActivationPropertiesOut = ndr.MustGUID("000001a3-0000-0000-c000-000000000046")
	// IID_IContext is the iid of the OBJREF_CUSTOM wrapping a Context (2.2.20).
	IID_IContext = ndr.MustGUID("000001c0-0000-0000-c000-000000000046")
)

// Class identifiers ([MS-DCOM] 1.9).
var (
	CLSID_ActivationPropertiesIn  = ndr.MustGUID("00000338-0000-0000-c000-000000000046")
	CLSID_ActivationPropertiesOut = ndr.MustGUID("00000339-0000-0000-c000-000000000046")
	CLSID_ContextMarshaler        = ndr.MustGUID("0000033b-0000-0000-c000-000000000046")
)

// Activation property CLSIDs, the keys of CustomHeader.pclsid ([MS-DCOM] 1.9, 2.2.22.2).
var (
	CLSID_InstantiationInfo       = ndr.MustGUID("000001ab-0000-0000-c000-000000000046")
	CLSID_ActivationContextInfo   = ndr.MustGUID("000001a5-0000-0000-c000-000000000046")
	CLSID_ServerLocationInfo      = ndr.MustGUID("000001a4-0000-0000-c000-000000000046")
	CLSID_ScmRequestInfo          = ndr.MustGUID("000001aa-0000-0000-c000-000000000046")
	CLSID_SecurityInfo            = ndr.MustGUID("000001a6-0000-0000-c000-000000000046")
	CLSID_SpecialSystemProperties = ndr.MustGUID("000001b9-0000-0000-c000-000000000046")
	CLSID_InstanceInfo            = ndr.MustGUID("000001ad-0000-0000-c000-000000000046")
	CLSID_ScmReplyInfo            = ndr.MustGUID("000001b6-0000-0000-c000-000000000046")
	CLSID_PropsOutInfo            = CLSID_ActivationPropertiesOut // same value ([MS-DCOM] 1.9)
)

// Protocol sequence (tower) identifiers ([C706] Appendix I).
const (
	TowerNCACNIPTCP uint16 = 0x0007 // ncacn_ip_tcp
)

// RPC authentication services used in SECURITYBINDING ([MS-RPCE] 2.2.1.1.7).
const (
	AuthnNone      uint16 = 0x00
	AuthnGSSNego   uint16 = 0x09
	AuthnWinNT     uint16 = 0x0A
	AuthnGSSKerb   uint16 = 0x10
	AuthnDefault   uint16 = 0xFFFF // never on the wire
	SecBindingResv uint16 = 0xFFFF // SECURITYBINDING.Reserved as sent
)

// COM versions ([MS-DCOM] 1.7).
const (
	COMVersionMajor   = 5
	COMVersionMinor   = 7 // what our server reports
	COMVersionMinorIA = 6 // first minor that uses IRemoteSCMActivator
)

// ORPCTHIS flags ([MS-DCOM] 2.2.13.3).
const (
	ORPCFNull  uint32 = 0
	ORPCFLocal uint32 = 1
)

// STDOBJREF flags ([MS-DCOM] 2.2.18.2).
const SORFNoPing uint32 = 0x1000

// Context marshaling ([MS-DCOM] 2.2.20).
const (
	CtxMshlFlagsByVal uint32 = 2
	CPFlagPropagate   uint32 = 1
	CPFlagExpose      uint32 = 2
	CPFlagEnvoy       uint32 = 4
)

// Range limits ([MS-DCOM] 2.2.28.1).
const (
	MaxRequestedInterfaces = 0x8000
	MaxRequestedProtseqs   = 0x8000
	MinActPropLimit        = 1
	MaxActPropLimit        = 10
)

// HRESULT is a COM status ([MS-ERREF] 2.1), the same type as
// iiss.HRESULT: errors.Is matches it against either package's constants.
type HRESULT = hresult.HRESULT

// HRESULTs used by DCOM ([MS-ERREF] 2.1; [MS-DCOM] 3.1.1.5, 3.1.2.5).
const (
	S_OK                   = hresult.S_OK
	E_NOTIMPL              = hresult.E_NOTIMPL
	E_NOINTERFACE          = hresult.E_NOINTERFACE
	E_FAIL                 = hresult.E_FAIL
	E_OUTOFMEMORY          = hresult.E_OUTOFMEMORY
	E_INVALIDARG           = hresult.E_INVALIDARG
	E_ACCESSDENIED         = hresult.E_ACCESSDENIED
	CO_E_BAD_SERVER_NAME   = hresult.CO_E_BAD_SERVER_NAME
	REGDB_E_CLASSNOTREG    = hresult.REGDB_E_CLASSNOTREG
	CO_E_OBJNOTREG         = hresult.CO_E_OBJNOTREG
	RPC_E_DISCONNECTED     = hresult.RPC_E_DISCONNECTED
	RPC_E_VERSION_MISMATCH = hresult.RPC_E_VERSION_MISMATCH
	RPC_E_INVALID_HEADER   = hresult.RPC_E_INVALID_HEADER
	RPC_E_INVALID_OBJECT   = hresult.RPC_E_INVALID_OBJECT
	RPC_E_INVALID_OBJREF   = hresult.RPC_E_INVALID_OBJREF
)

// Object resolver statuses (error_status_t, [MS-DCOM] 3.1.2.5.1; [MS-ERREF] 2.2).
const (
	OR_INVALID_OXID     uint32 = 0x776
	OR_INVALID_OID      uint32 = 0x777
	OR_INVALID_SET      uint32 = 0x778
	RPC_S_UNKNOWN_IF    uint32 = 0x6B5
	RPC_S_ACCESS_DENIED uint32 = 0x5
)
