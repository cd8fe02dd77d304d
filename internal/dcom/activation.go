package dcom

import (
	"github.com/iisctl/iisctl/ndr"
)

// DestCtx values seen on the wire (MSHCTX_DIFFERENTMACHINE).
const DestCtxDifferentMachine uint32 = 2

// ActivationIn is the ActivationPropertiesIn BLOB of an activation request
// ([MS-DCOM] 2.2.22, 3.1.2.5.2.3.2-3). Absent properties are nil. Order
// lists the property CLSIDs in wire order; nil means Special,
// Instantiation, ActivationContext, Security, Location, ScmRequest,
// Instance (the order Windows uses). Unknown properties are kept.
type ActivationIn struct {
	DestCtx       uint32
	Special       *SpecialPropertiesData
	Instantiation *InstantiationInfoData
	Context       *ActivationContextInfoData
	Security      *SecurityInfoData
	Location      *LocationInfoData
	ScmRequest    *ScmRequestInfoData
	Instance      *InstanceInfoData
	Order         []ndr.GUID
	Unknown       []Property
}

func (a *ActivationIn) entries() []propEntry {
	e := []propEntry{
		{clsid: CLSID_SpecialSystemProperties, u: new(SpecialPropertiesData)},
		{clsid: CLSID_InstantiationInfo, u: new(InstantiationInfoData)},
		{clsid: CLSID_ActivationContextInfo, u: new(ActivationContextInfoData)},
		{clsid: CLSID_SecurityInfo, u: new(SecurityInfoData)},
		{clsid: CLSID_ServerLocationInfo, u: new(LocationInfoData)},
		{clsid: CLSID_ScmRequestInfo, u: new(ScmRequestInfoData)},
		{clsid: CLSID_InstanceInfo, u: new(InstanceInfoData)},
	}
	if a.Special != nil {
		e[0].m = a.Special
	}
	if a.Instantiation != nil {
		e[1].m = a.Instantiation
	}
	if a.Context != nil {
		e[2].m = a.Context
	}
	if a.Security != nil {
		e[3].m = a.Security
	}
	if a.Location != nil {
		e[4].m = a.Location
	}
	if a.ScmRequest != nil {
		e[5].m = a.ScmRequest
	}
	if a.Instance != nil {
		e[6].m = a.Instance
	}
	return e
}

// Blob encodes the activation properties BLOB. It sets
// Instantiation.ThisSize to the property's serialized size.
func (a *ActivationIn) Blob() ([]byte, error) {
	if a.Instantiation != nil {
		a.Instantiation.ThisSize = 0
		s, err := ndr.EncodeTS1(a.Instantiation)
		if err != nil {
			return nil, err
		}
		a.Instantiation.ThisSize = uint32(len(s))
	}
	props, err := encodeProps(a.Order, a.entries(), a.Unknown)
	if err != nil {
		return nil, err
	}
	return EncodeActivationBlob(a.DestCtx, props)
}

// MInterfacePointer encodes the BLOB inside its OBJREF_CUSTOM
// (IID_IActivationPropertiesIn, CLSID_ActivationPropertiesIn), ready to be
// pActProperties.
func (a *ActivationIn) MInterfacePointer() (*MInterfacePointer, error) {
	b, err := a.Blob()
	if err != nil {
		return nil, err
	}
	return wrapBlob(IID_IActivationPropertiesIn, CLSID_ActivationPropertiesIn, b), nil
}

// ParseActivationIn decodes pActProperties. Every known property is
// decoded, unknown ones are kept; InstantiationInfo must be present.
func ParseActivationIn(m *MInterfacePointer) (*ActivationIn, error) {
	blob, err := unwrapBlob(m, IID_IActivationPropertiesIn, CLSID_ActivationPropertiesIn)
	if err != nil {
		return nil, err
	}
	return ParseActivationInBlob(blob)
}

// ParseActivationInBlob decodes an ActivationPropertiesIn BLOB.
func ParseActivationInBlob(blob []byte) (*ActivationIn, error) {
	h, props, err := DecodeActivationBlob(blob)
	if err != nil {
		return nil, err
	}
	a := &ActivationIn{DestCtx: h.DestCtx}
	e := a.entries()
	if a.Order, a.Unknown, err = decodeProps(props, e); err != nil {
		return nil, err
	}
	a.fill(e, a.Order)
	if a.Instantiation == nil {
		return nil, badActivation("no InstantiationInfo")
	}
	return a, nil
}

func (a *ActivationIn) fill(e []propEntry, order []ndr.GUID) {
	has := func(c ndr.GUID) bool { return containsGUID(order, c) }
	if has(CLSID_SpecialSystemProperties) {
		a.Special = e[0].u.(*SpecialPropertiesData)
	}
	if has(CLSID_InstantiationInfo) {
		a.Instantiation = e[1].u.(*InstantiationInfoData)
	}
	if has(CLSID_ActivationContextInfo) {
		a.Context = e[2].u.(*ActivationContextInfoData)
	}
	if has(CLSID_SecurityInfo) {
		a.Security = e[3].u.(*SecurityInfoData)
	}
	if has(CLSID_ServerLocationInfo) {
		a.Location = e[4].u.(*LocationInfoData)
	}
	if has(CLSID_ScmRequestInfo) {
		a.ScmRequest = e[5].u.(*ScmRequestInfoData)
	}
	if has(CLSID_InstanceInfo) {
		a.Instance = e[6].u.(*InstanceInfoData)
	}
}

func containsGUID(s []ndr.GUID, g ndr.GUID) bool {
	for _, x := range s {
		if x == g {
			return true
		}
	}
	return false
}

// Protseqs returns the requested protocol sequences of ScmRequestInfo.
func (a *ActivationIn) Protseqs() []uint16 {
	if a.ScmRequest == nil || a.ScmRequest.RemoteRequest == nil {
		return nil
	}
	return a.ScmRequest.RemoteRequest.RequestedProtseqs
}

// ActivationInOptions tunes BuildActivationIn; the zero value is what our
// client sends.
type ActivationInOptions struct {
	ContextID      ndr.GUID // client context id; zero: no client context (NULL, as impacket)
	ClientImpLevel uint32   // 0 means RPC_C_IMP_LEVEL_IDENTIFY (2)
	ClassCtx       uint32   // 0 means CLSCTX_REMOTE_SERVER (0x10) | CLSCTX_LOCAL_SERVER (0x4)
	SessionID      uint32   // 0 means 0xFFFFFFFF (any session)
	// ServerName, when set, is sent in SecurityInfo's COSERVERINFO, as
	// Windows clients do; that makes six properties, the shape Windows
	// and impacket send ([MS-DCOM] 2.2.22.2.7).
	ServerName string
}

// BuildActivationIn returns the properties a client sends to create clsid
// with interfaces iids: Special, Instantiation (COM 5.7), ActivationContext
// (a minimal client Context when opt.ContextID is set), SecurityInfo
// (when opt.ServerName is set), Location and ScmRequest asking for
// ncacn_ip_tcp.
func BuildActivationIn(clsid ndr.GUID, iids []ndr.GUID, opt ActivationInOptions) *ActivationIn {
	imp, ctx, sess := opt.ClientImpLevel, opt.ClassCtx, opt.SessionID
	if imp == 0 {
		imp = 2
	}
	if ctx == 0 {
		ctx = 0x14
	}
	if sess == 0 {
		sess = 0xFFFFFFFF
	}
	a := &ActivationIn{
		DestCtx:       DestCtxDifferentMachine,
		Special:       &SpecialPropertiesData{SessionID: sess, DefaultAuthnLvl: 6, OrigClsctx: ctx, Flags: 2},
		Instantiation: &InstantiationInfoData{ClassID: clsid, ClassCtx: ctx, IIDs: append([]ndr.GUID{}, iids...), ClientCOMVersion: COMVersion{COMVersionMajor, COMVersionMinor}},
		Context:       &ActivationContextInfoData{},
		Location:      &LocationInfoData{},
		ScmRequest:    &ScmRequestInfoData{RemoteRequest: &RemoteRequestSCMInfo{ClientImpLevel: imp, RequestedProtseqs: []uint16{TowerNCACNIPTCP}}},
	}
	if !opt.ContextID.IsZero() {
		a.Context.ClientCtx = NewMInterfacePointer(NewClientContext(opt.ContextID).ObjRef())
	}
	if opt.ServerName != "" {
		name := opt.ServerName
		a.Security = &SecurityInfoData{ServerInfo: &COServerInfo{Name: &name}}
	}
	return a
}
