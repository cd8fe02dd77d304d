package dcom

import "github.com/iisctl/iisctl/ndr"

// ActivationOut is the ActivationPropertiesOut BLOB of an activation
// response ([MS-DCOM] 2.2.22, 3.1.2.5.2.3.2-3). Order nil means PropsOutInfo
// first and ScmReplyInfo second: impacket reads them by position.
type ActivationOut struct {
	DestCtx  uint32
	PropsOut *PropsOutInfo
	ScmReply *ScmReplyInfoData
	Order    []ndr.GUID
	Unknown  []Property
}

func (a *ActivationOut) entries() []propEntry {
	e := []propEntry{
		{clsid: CLSID_PropsOutInfo, u: new(PropsOutInfo)},
		{clsid: CLSID_ScmReplyInfo, u: new(ScmReplyInfoData)},
	}
	if a.PropsOut != nil {
		e[0].m = a.PropsOut
	}
	if a.ScmReply != nil {
		e[1].m = a.ScmReply
	}
	return e
}

// ActivatedInterface is one requested interface in an activation result.
type ActivatedInterface struct {
	IID    ndr.GUID
	Result HRESULT            // S_OK or a failure such as E_NOINTERFACE
	Ptr    *MInterfacePointer // an OBJREF_STANDARD when Result is S_OK; nil otherwise
}

// NewActivationOut builds what a server returns: PropsOutInfo for ifs, then
// ScmReplyInfo with reply.
func NewActivationOut(reply RemoteReplySCMInfo, ifs []ActivatedInterface) *ActivationOut {
	p := &PropsOutInfo{
		IIDs:     make([]ndr.GUID, len(ifs)),
		Results:  make([]HRESULT, len(ifs)),
		IntfData: make([]*MInterfacePointer, len(ifs)),
	}
	for i, f := range ifs {
		p.IIDs[i], p.Results[i], p.IntfData[i] = f.IID, f.Result, f.Ptr
	}
	return &ActivationOut{
		DestCtx:  DestCtxDifferentMachine,
		PropsOut: p,
		ScmReply: &ScmReplyInfoData{RemoteReply: &reply},
	}
}

// Interfaces returns PropsOutInfo as a list.
func (a *ActivationOut) Interfaces() []ActivatedInterface {
	if a.PropsOut == nil {
		return nil
	}
	out := make([]ActivatedInterface, len(a.PropsOut.IIDs))
	for i := range out {
		out[i] = ActivatedInterface{IID: a.PropsOut.IIDs[i], Result: a.PropsOut.Results[i], Ptr: a.PropsOut.IntfData[i]}
	}
	return out
}

// Blob encodes the activation properties BLOB.
func (a *ActivationOut) Blob() ([]byte, error) {
	props, err := encodeProps(a.Order, a.entries(), a.Unknown)
	if err != nil {
		return nil, err
	}
	return EncodeActivationBlob(a.DestCtx, props)
}

// MInterfacePointer encodes the BLOB in its OBJREF_CUSTOM
// (IID_IActivationPropertiesOut, CLSID_ActivationPropertiesOut), ready to
// be *ppActProperties.
func (a *ActivationOut) MInterfacePointer() (*MInterfacePointer, error) {
	b, err := a.Blob()
	if err != nil {
		return nil, err
	}
	return wrapBlob(IID_IActivationPropertiesOut, CLSID_ActivationPropertiesOut, b), nil
}

// ParseActivationOut decodes *ppActProperties. PropsOutInfo and a
// ScmReplyInfo with a non-NULL remoteReply must be present; a non-zero
// result must come with a NULL interface pointer and S_OK with a non-NULL one.
func ParseActivationOut(m *MInterfacePointer) (*ActivationOut, error) {
	blob, err := unwrapBlob(m, IID_IActivationPropertiesOut, CLSID_ActivationPropertiesOut)
	if err != nil {
		return nil, err
	}
	return ParseActivationOutBlob(blob)
}

// ParseActivationOutBlob decodes an ActivationPropertiesOut BLOB.
func ParseActivationOutBlob(blob []byte) (*ActivationOut, error) {
	h, props, err := DecodeActivationBlob(blob)
	if err != nil {
		return nil, err
	}
	a := &ActivationOut{DestCtx: h.DestCtx}
	e := a.entries()
	if a.Order, a.Unknown, err = decodeProps(props, e); err != nil {
		return nil, err
	}
	if !containsGUID(a.Order, CLSID_PropsOutInfo) || !containsGUID(a.Order, CLSID_ScmReplyInfo) {
		return nil, badActivation("PropsOutInfo or ScmReplyInfo missing")
	}
	a.PropsOut, a.ScmReply = e[0].u.(*PropsOutInfo), e[1].u.(*ScmReplyInfoData)
	if a.ScmReply.RemoteReply == nil {
		return nil, badActivation("ScmReplyInfo without remoteReply")
	}
	for i, r := range a.PropsOut.Results {
		if p := a.PropsOut.IntfData[i]; (r == S_OK && p == nil) || (r.Failed() && p != nil) {
			return nil, badActivation("interface %d: result 0x%08x with pointer %v", i, uint32(r), p != nil)
		}
	}
	return a, nil
}
