package dcom

import (
	"fmt"
	"strconv"
)

// Flags the activators act on ([MS-DCOM] 2.2.22.2.1, 2.2.22.2.2).
const (
	SPDFlagUseConsoleSession     uint32 = 0x00000001
	ActvFlagsDisableAAA          uint32 = 0x00000002
	ActvFlagsActivate32BitServer uint32 = 0x00000004
	ActvFlagsActivate64BitServer uint32 = 0x00000008
	// AnySession is SpecialPropertiesData.dwSessionID for "any logon session".
	AnySession uint32 = 0xFFFFFFFF
)

// CO_E_RUNAS_LOGON_FAILURE is the answer to a logon session the server
// cannot run the object exporter in ([MS-ERREF] 2.1).
const CO_E_RUNAS_LOGON_FAILURE HRESULT = 0x8000401A

// scmChecks are the checks [MS-DCOM] 3.1.2.5.2.3 adds for
// RemoteGetClassObject and RemoteCreateInstance, made before anything is
// created. iissd runs one object exporter, in its own (64-bit on 64-bit
// platforms) process, in no logon session of the client's choosing and
// never under the client's identity; so it refuses a specific or console
// session with CO_E_RUNAS_LOGON_FAILURE, a bitness it lacks with
// REGDB_E_CLASSNOTREG, and has nothing to refuse for
// ACTVFLAGS_DISABLE_AAA. Contexts sent with the request must have no
// extents (RPC_E_INVALID_OBJREF). It returns S_OK or the HRESULT and why.
func scmChecks(in *ActivationIn) (HRESULT, string) {
	if sp := in.Special; sp != nil {
		if sp.Flags&SPDFlagUseConsoleSession != 0 {
			return CO_E_RUNAS_LOGON_FAILURE, "the console logon session was requested"
		}
		if sp.SessionID != AnySession {
			return CO_E_RUNAS_LOGON_FAILURE, fmt.Sprintf("logon session %d was requested", sp.SessionID)
		}
	}
	f := in.Instantiation.ActvFlags
	if f&ActvFlagsActivate32BitServer != 0 && strconv.IntSize != 32 {
		return REGDB_E_CLASSNOTREG, "a 32-bit server was requested"
	}
	if f&ActvFlagsActivate64BitServer != 0 && strconv.IntSize != 64 {
		return REGDB_E_CLASSNOTREG, "a 64-bit server was requested"
	}
	if c := in.Context; c != nil {
		for _, m := range []*MInterfacePointer{c.ClientCtx, c.PrototypeCtx} {
			if hr, why := checkContext(m); hr.Failed() {
				return hr, why
			}
		}
	}
	return S_OK, ""
}

// checkContext reads a Context (2.2.20) sent in ActivationContextInfoData:
// dwNumExtents and cbExtents MUST be zero.
func checkContext(m *MInterfacePointer) (HRESULT, string) {
	if m == nil {
		return S_OK, ""
	}
	o, err := m.ObjRef()
	if err != nil || o.Flags != ObjRefCustom || o.CLSID != CLSID_ContextMarshaler {
		return RPC_E_INVALID_OBJREF, "context is not an OBJREF_CUSTOM of the context marshaler"
	}
	ctx, err := ParseContext(o.ObjectData)
	if err != nil {
		return RPC_E_INVALID_OBJREF, "context: " + err.Error()
	}
	if ctx.NumExtents != 0 || ctx.CbExtents != 0 {
		return RPC_E_INVALID_OBJREF, fmt.Sprintf("context with %d extents (%d bytes)", ctx.NumExtents, ctx.CbExtents)
	}
	return S_OK, ""
}
