package dcom

import "github.com/iisctl/iisctl/ndr"

// The parameter structures of IRemoteSCMActivator and IActivation
// ([MS-DCOM] 3.1.2.5.2). These are plain RPC interfaces whose first
// parameter is ORPCTHIS (first [out]: ORPCTHAT), so the structures include
// them. Each top-level parameter is followed by its deferred pointees.

// RemoteCreateInstanceRequest is the [in] side of
// IRemoteSCMActivator::RemoteCreateInstance (opnum 4, 3.1.2.5.2.3.3).
type RemoteCreateInstanceRequest struct {
	ORPCThis      ORPCThis
	UnkOuter      *MInterfacePointer // must be NULL
	ActProperties *MInterfacePointer // ActivationPropertiesIn
}

// MarshalNDR writes the three [in] parameters.
func (q *RemoteCreateInstanceRequest) MarshalNDR(w *ndr.Writer) {
	w.Marshal(&q.ORPCThis)
	writeMIP(w, q.UnkOuter)
	w.Flush()
	writeMIP(w, q.ActProperties)
	w.Flush()
}

// UnmarshalNDR reads the three [in] parameters.
func (q *RemoteCreateInstanceRequest) UnmarshalNDR(r *ndr.Reader) {
	r.Unmarshal(&q.ORPCThis)
	readMIP(r, &q.UnkOuter)
	r.Flush()
	readMIP(r, &q.ActProperties)
	r.Flush()
}

// RemoteGetClassObjectRequest is the [in] side of
// IRemoteSCMActivator::RemoteGetClassObject (opnum 3, 3.1.2.5.2.3.2).
type RemoteGetClassObjectRequest struct {
	ORPCThis      ORPCThis
	ActProperties *MInterfacePointer
}

// MarshalNDR writes the two [in] parameters.
func (q *RemoteGetClassObjectRequest) MarshalNDR(w *ndr.Writer) {
	w.Marshal(&q.ORPCThis)
	writeMIP(w, q.ActProperties)
	w.Flush()
}

// UnmarshalNDR reads the two [in] parameters.
func (q *RemoteGetClassObjectRequest) UnmarshalNDR(r *ndr.Reader) {
	r.Unmarshal(&q.ORPCThis)
	readMIP(r, &q.ActProperties)
	r.Flush()
}

// ActivationResponse is the [out] side of RemoteCreateInstance and
// RemoteGetClassObject: ORPCTHAT, *ppActProperties (nil on failure) and
// the HRESULT.
type ActivationResponse struct {
	ORPCThat      ORPCThat
	ActProperties *MInterfacePointer // ActivationPropertiesOut
	Result        HRESULT
}

// MarshalNDR writes the [out] parameters and the return value.
func (p *ActivationResponse) MarshalNDR(w *ndr.Writer) {
	w.Marshal(&p.ORPCThat)
	writeMIP(w, p.ActProperties)
	w.Flush()
	w.Uint32(uint32(p.Result))
}

// UnmarshalNDR reads the [out] parameters and the return value.
func (p *ActivationResponse) UnmarshalNDR(r *ndr.Reader) {
	r.Unmarshal(&p.ORPCThat)
	readMIP(r, &p.ActProperties)
	r.Flush()
	p.Result = HRESULT(r.Uint32())
}

// RemoteActivationRequest is the [in] side of IActivation::RemoteActivation
// (opnum 0, 3.1.2.5.2.3.1).
type RemoteActivationRequest struct {
	ORPCThis          ORPCThis
	CLSID             ndr.GUID
	ObjectName        *string
	ObjectStorage     *MInterfacePointer
	ClientImpLevel    uint32
	Mode              uint32
	IIDs              []ndr.GUID // Interfaces, 1..MaxRequestedInterfaces
	RequestedProtseqs []uint16   // 0..MaxRequestedProtseqs
}

// MarshalNDR writes the [in] parameters.
func (q *RemoteActivationRequest) MarshalNDR(w *ndr.Writer) {
	w.Marshal(&q.ORPCThis)
	q.CLSID.MarshalNDR(w)
	writeOptWString(w, q.ObjectName)
	w.Flush()
	writeMIP(w, q.ObjectStorage)
	w.Flush()
	w.Uint32(q.ClientImpLevel)
	w.Uint32(q.Mode)
	w.Uint32(uint32(len(q.IIDs)))
	w.Pointer(q.IIDs != nil, func(w *ndr.Writer) { writeArray(w, q.IIDs, putGUID) })
	w.Flush()
	w.Uint16(uint16(len(q.RequestedProtseqs)))
	writeArray(w, q.RequestedProtseqs, (*ndr.Writer).Uint16)
}

// UnmarshalNDR reads the [in] parameters, enforcing the ranges.
func (q *RemoteActivationRequest) UnmarshalNDR(r *ndr.Reader) {
	r.Unmarshal(&q.ORPCThis)
	q.CLSID.UnmarshalNDR(r)
	readOptWString(r, &q.ObjectName)
	r.Flush()
	readMIP(r, &q.ObjectStorage)
	r.Flush()
	q.ClientImpLevel, q.Mode = r.Uint32(), r.Uint32()
	n := int(r.Uint32())
	if r.OK() && (n < 1 || n > MaxRequestedInterfaces) {
		r.Failf("RemoteActivation: Interfaces %d out of range", n)
	}
	present := r.Pointer(func(r *ndr.Reader) { q.IIDs = readArray(r, n, 16, "RemoteActivation.pIIDs", getGUID) })
	r.CheckNull(present, n)
	r.Flush()
	c := int(r.Uint16())
	if c > MaxRequestedProtseqs {
		r.Failf("RemoteActivation: cRequestedProtseqs %d out of range", c)
	}
	q.RequestedProtseqs = readArray(r, c, 2, "RemoteActivation.aRequestedProtseqs", (*ndr.Reader).Uint16)
}

// RemoteActivationResponse is the [out] side of IActivation::RemoteActivation.
// InterfaceData and Results have one entry per requested IID; the arrays
// are disable_consistency_check, so NULL pointers are allowed anywhere.
type RemoteActivationResponse struct {
	ORPCThat       ORPCThat
	OXID           uint64
	OxidBindings   *DualStringArray
	IPIDRemUnknown ndr.GUID
	AuthnHint      uint32
	ServerVersion  COMVersion
	HR             HRESULT
	InterfaceData  []*MInterfacePointer
	Results        []HRESULT
	Status         uint32 // error_status_t
}

// MarshalNDR writes the [out] parameters and the return value.
func (p *RemoteActivationResponse) MarshalNDR(w *ndr.Writer) {
	if len(p.InterfaceData) != len(p.Results) {
		w.Fail(errMismatch("RemoteActivationResponse"))
	}
	w.Marshal(&p.ORPCThat)
	w.Uint64(p.OXID)
	writeDSAPtr(w, p.OxidBindings)
	w.Flush()
	p.IPIDRemUnknown.MarshalNDR(w)
	w.Uint32(p.AuthnHint)
	p.ServerVersion.MarshalNDR(w)
	w.Uint32(uint32(p.HR))
	writeMIPArray(w, p.InterfaceData)
	w.Flush()
	writeArray(w, p.Results, putHRESULT)
	w.Uint32(p.Status)
}

// UnmarshalNDR reads the [out] parameters and the return value.
func (p *RemoteActivationResponse) UnmarshalNDR(r *ndr.Reader) {
	r.Unmarshal(&p.ORPCThat)
	p.OXID = r.Uint64()
	readDSAPtr(r, &p.OxidBindings)
	r.Flush()
	p.IPIDRemUnknown.UnmarshalNDR(r)
	p.AuthnHint = r.Uint32()
	p.ServerVersion.UnmarshalNDR(r)
	p.HR = HRESULT(r.Uint32())
	n := r.Count()
	if r.OK() && n > MaxRequestedInterfaces {
		r.Failf("RemoteActivation: %d interfaces", n)
		return
	}
	p.InterfaceData = readMIPArrayN(r, n)
	r.Flush()
	p.Results = readArray(r, n, 4, "RemoteActivation.pResults", getHRESULT)
	p.Status = r.Uint32()
}

// readMIPArrayN reads n unique MInterfacePointer* after their conformance.
func readMIPArrayN(r *ndr.Reader, n int) []*MInterfacePointer {
	if !r.CheckSize(n, 4) {
		return nil
	}
	m := make([]*MInterfacePointer, n)
	for i := range m {
		readMIP(r, &m[i])
	}
	return m
}
