package dcom

import "github.com/iisctl/iisctl/ndr"

// The parameter structures of IRemUnknown and IRemUnknown2 ([MS-DCOM]
// 3.1.1.5.6-7). These are ORPC methods: the runtime reads ORPCTHIS (writes
// ORPCTHAT) before them, so the structures start after it.

// RemQIResult is REMQIRESULT, [MS-DCOM] 2.2.24.
type RemQIResult struct {
	HResult HRESULT
	Std     StdObjRef
}

// MarshalNDR writes the structure (8-aligned).
func (q *RemQIResult) MarshalNDR(w *ndr.Writer) {
	w.Align(8)
	w.Uint32(uint32(q.HResult))
	q.Std.MarshalNDR(w)
}

// UnmarshalNDR reads the structure.
func (q *RemQIResult) UnmarshalNDR(r *ndr.Reader) {
	r.Align(8)
	q.HResult = HRESULT(r.Uint32())
	q.Std.UnmarshalNDR(r)
}

// RemInterfaceRef is REMINTERFACEREF, [MS-DCOM] 2.2.23.
type RemInterfaceRef struct {
	IPID         ndr.GUID
	CPublicRefs  uint32
	CPrivateRefs uint32
}

// RemQueryInterfaceRequest is the [in] side of RemQueryInterface (opnum 3).
type RemQueryInterfaceRequest struct {
	IPID  ndr.GUID
	CRefs uint32
	IIDs  []ndr.GUID
}

// MarshalNDR writes ripid, cRefs, cIids and iids.
func (q *RemQueryInterfaceRequest) MarshalNDR(w *ndr.Writer) {
	q.IPID.MarshalNDR(w)
	w.Uint32(q.CRefs)
	w.Uint16(uint16(len(q.IIDs)))
	writeArray(w, q.IIDs, putGUID)
}

// UnmarshalNDR reads the request.
func (q *RemQueryInterfaceRequest) UnmarshalNDR(r *ndr.Reader) {
	q.IPID.UnmarshalNDR(r)
	q.CRefs = r.Uint32()
	n := int(r.Uint16())
	q.IIDs = readArray(r, n, 16, "RemQueryInterface.iids", getGUID)
}

// RemQueryInterfaceResponse is the [out] side of RemQueryInterface after
// ORPCTHAT: *ppQIResults (nil: NULL, on failure) and the HRESULT.
type RemQueryInterfaceResponse struct {
	Results []RemQIResult
	HR      HRESULT
}

// MarshalNDR writes the response.
func (p *RemQueryInterfaceResponse) MarshalNDR(w *ndr.Writer) {
	w.Pointer(p.Results != nil, func(w *ndr.Writer) {
		w.Count(len(p.Results))
		for i := range p.Results {
			p.Results[i].MarshalNDR(w)
		}
	})
	w.Flush()
	w.Uint32(uint32(p.HR))
}

// UnmarshalNDR reads the response. PREMQIRESULT is disable_consistency_check,
// so the count is the array's own.
func (p *RemQueryInterfaceResponse) UnmarshalNDR(r *ndr.Reader) {
	r.Pointer(func(r *ndr.Reader) {
		n := r.Count()
		if !r.CheckSize(n, 48) {
			return
		}
		p.Results = make([]RemQIResult, n)
		for i := range p.Results {
			p.Results[i].UnmarshalNDR(r)
		}
	})
	r.Flush()
	p.HR = HRESULT(r.Uint32())
}

// RemAddRefRequest is the [in] side of RemAddRef (opnum 4) and RemRelease
// (opnum 5).
type RemAddRefRequest struct {
	Refs []RemInterfaceRef
}

// RemReleaseRequest has the same layout as RemAddRefRequest.
type RemReleaseRequest = RemAddRefRequest

// MarshalNDR writes cInterfaceRefs and the array.
func (q *RemAddRefRequest) MarshalNDR(w *ndr.Writer) {
	w.Uint16(uint16(len(q.Refs)))
	w.Count(len(q.Refs))
	for _, x := range q.Refs {
		x.IPID.MarshalNDR(w)
		w.Uint32(x.CPublicRefs)
		w.Uint32(x.CPrivateRefs)
	}
}

// UnmarshalNDR reads the request.
func (q *RemAddRefRequest) UnmarshalNDR(r *ndr.Reader) {
	want := int(r.Uint16())
	n, ok := r.Conformance(want, 24, "RemAddRef/RemRelease")
	if !ok {
		return
	}
	q.Refs = make([]RemInterfaceRef, n)
	for i := range q.Refs {
		q.Refs[i].IPID.UnmarshalNDR(r)
		q.Refs[i].CPublicRefs, q.Refs[i].CPrivateRefs = r.Uint32(), r.Uint32()
	}
}

// RemAddRefResponse is the [out] side of RemAddRef after ORPCTHAT.
// Results has cInterfaceRefs entries; set Count before decoding.
type RemAddRefResponse struct {
	Results []HRESULT
	HR      HRESULT
	Count   int // the request's cInterfaceRefs, for the decoder
}

// MarshalNDR writes the response.
func (p *RemAddRefResponse) MarshalNDR(w *ndr.Writer) {
	writeArray(w, p.Results, putHRESULT)
	w.Uint32(uint32(p.HR))
}

// UnmarshalNDR reads the response.
func (p *RemAddRefResponse) UnmarshalNDR(r *ndr.Reader) {
	p.Results = readArray(r, p.Count, 4, "RemAddRef.pResults", getHRESULT)
	p.HR = HRESULT(r.Uint32())
}

// RemQueryInterface2Request is the [in] side of RemQueryInterface2 (opnum 6).
type RemQueryInterface2Request struct {
	IPID ndr.GUID
	IIDs []ndr.GUID
}

// MarshalNDR writes ripid, cIids and iids.
func (q *RemQueryInterface2Request) MarshalNDR(w *ndr.Writer) {
	q.IPID.MarshalNDR(w)
	w.Uint16(uint16(len(q.IIDs)))
	writeArray(w, q.IIDs, putGUID)
}

// UnmarshalNDR reads the request.
func (q *RemQueryInterface2Request) UnmarshalNDR(r *ndr.Reader) {
	q.IPID.UnmarshalNDR(r)
	n := int(r.Uint16())
	q.IIDs = readArray(r, n, 16, "RemQueryInterface2.iids", getGUID)
}

// RemQueryInterface2Response is the [out] side of RemQueryInterface2 after
// ORPCTHAT; set Count (the request's cIids) before decoding.
type RemQueryInterface2Response struct {
	Results []HRESULT
	MIFs    []*MInterfacePointer
	HR      HRESULT
	Count   int
}

// MarshalNDR writes the response.
func (p *RemQueryInterface2Response) MarshalNDR(w *ndr.Writer) {
	writeArray(w, p.Results, putHRESULT)
	writeMIPArray(w, p.MIFs)
	w.Flush()
	w.Uint32(uint32(p.HR))
}

// UnmarshalNDR reads the response.
func (p *RemQueryInterface2Response) UnmarshalNDR(r *ndr.Reader) {
	p.Results = readArray(r, p.Count, 4, "RemQueryInterface2.phr", getHRESULT)
	p.MIFs = readMIPArray(r, p.Count, "RemQueryInterface2.ppMIF")
	r.Flush()
	p.HR = HRESULT(r.Uint32())
}
