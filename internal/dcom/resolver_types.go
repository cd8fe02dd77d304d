package dcom

import "github.com/iisctl/iisctl/ndr"

// The parameter structures of IObjectExporter ([MS-DCOM] 3.1.2.5.1), a
// plain RPC interface (no ORPCTHIS). Statuses are error_status_t.

// ResolveOxidRequest is the [in] side of ResolveOxid (opnum 0) and
// ResolveOxid2 (opnum 4).
type ResolveOxidRequest struct {
	OXID              uint64
	RequestedProtseqs []uint16
}

// MarshalNDR writes pOxid, cRequestedProtseqs and the protseq array.
func (q *ResolveOxidRequest) MarshalNDR(w *ndr.Writer) {
	w.Uint64(q.OXID)
	w.Uint16(uint16(len(q.RequestedProtseqs)))
	writeArray(w, q.RequestedProtseqs, (*ndr.Writer).Uint16)
}

// UnmarshalNDR reads the request.
func (q *ResolveOxidRequest) UnmarshalNDR(r *ndr.Reader) {
	q.OXID = r.Uint64()
	n := int(r.Uint16())
	q.RequestedProtseqs = readArray(r, n, 2, "ResolveOxid.arRequestedProtseqs", (*ndr.Reader).Uint16)
}

// ResolveOxidResponse is the [out] side of ResolveOxid and, with
// Version2, ResolveOxid2 (which adds pComVersion).
type ResolveOxidResponse struct {
	OxidBindings   *DualStringArray
	IPIDRemUnknown ndr.GUID
	AuthnHint      uint32
	COMVersion     COMVersion // ResolveOxid2 only
	Version2       bool
	Status         uint32
}

// MarshalNDR writes the [out] parameters and the status.
func (p *ResolveOxidResponse) MarshalNDR(w *ndr.Writer) {
	writeDSAPtr(w, p.OxidBindings)
	w.Flush()
	p.IPIDRemUnknown.MarshalNDR(w)
	w.Uint32(p.AuthnHint)
	if p.Version2 {
		p.COMVersion.MarshalNDR(w)
	}
	w.Uint32(p.Status)
}

// UnmarshalNDR reads the response; set Version2 first for ResolveOxid2.
func (p *ResolveOxidResponse) UnmarshalNDR(r *ndr.Reader) {
	readDSAPtr(r, &p.OxidBindings)
	r.Flush()
	p.IPIDRemUnknown.UnmarshalNDR(r)
	p.AuthnHint = r.Uint32()
	if p.Version2 {
		p.COMVersion.UnmarshalNDR(r)
	}
	p.Status = r.Uint32()
}

// SimplePingRequest is the [in] side of SimplePing (opnum 1).
type SimplePingRequest struct{ SetID uint64 }

// MarshalNDR writes pSetId.
func (q *SimplePingRequest) MarshalNDR(w *ndr.Writer) { w.Uint64(q.SetID) }

// UnmarshalNDR reads pSetId.
func (q *SimplePingRequest) UnmarshalNDR(r *ndr.Reader) { q.SetID = r.Uint64() }

// StatusResponse is a response holding only an error_status_t or HRESULT
// (SimplePing, ServerAlive, RemRelease after ORPCTHAT).
type StatusResponse struct{ Status uint32 }

// MarshalNDR writes the status.
func (p *StatusResponse) MarshalNDR(w *ndr.Writer) { w.Uint32(p.Status) }

// UnmarshalNDR reads the status.
func (p *StatusResponse) UnmarshalNDR(r *ndr.Reader) { p.Status = r.Uint32() }

// ComplexPingRequest is the [in] side of ComplexPing (opnum 2).
type ComplexPingRequest struct {
	SetID       uint64
	SequenceNum uint16
	AddToSet    []uint64 // nil: NULL
	DelFromSet  []uint64 // nil: NULL
}

// MarshalNDR writes the request.
func (q *ComplexPingRequest) MarshalNDR(w *ndr.Writer) {
	w.Uint64(q.SetID)
	w.Uint16(q.SequenceNum)
	w.Uint16(uint16(len(q.AddToSet)))
	w.Uint16(uint16(len(q.DelFromSet)))
	writeOIDs(w, q.AddToSet)
	writeOIDs(w, q.DelFromSet)
}

// UnmarshalNDR reads the request; a NULL array with a non-zero count is invalid.
func (q *ComplexPingRequest) UnmarshalNDR(r *ndr.Reader) {
	q.SetID = r.Uint64()
	q.SequenceNum = r.Uint16()
	nAdd, nDel := int(r.Uint16()), int(r.Uint16())
	q.AddToSet = readOIDs(r, nAdd, "ComplexPing.AddToSet")
	q.DelFromSet = readOIDs(r, nDel, "ComplexPing.DelFromSet")
}

func writeOIDs(w *ndr.Writer, v []uint64) {
	w.Pointer(v != nil, func(w *ndr.Writer) {
		w.Count(len(v))
		for _, x := range v {
			w.Uint64(x)
		}
	})
	w.Flush()
}

func readOIDs(r *ndr.Reader, want int, what string) (v []uint64) {
	present := r.Pointer(func(r *ndr.Reader) {
		n, ok := r.Conformance(want, 8, what)
		if !ok {
			return
		}
		v = make([]uint64, n)
		for i := range v {
			v[i] = r.Uint64()
		}
	})
	r.CheckNull(present, want)
	r.Flush()
	return v
}

// ComplexPingResponse is the [out] side of ComplexPing.
type ComplexPingResponse struct {
	SetID             uint64
	PingBackoffFactor uint16
	Status            uint32
}

// MarshalNDR writes the response.
func (p *ComplexPingResponse) MarshalNDR(w *ndr.Writer) {
	w.Uint64(p.SetID)
	w.Uint16(p.PingBackoffFactor)
	w.Uint32(p.Status)
}

// UnmarshalNDR reads the response.
func (p *ComplexPingResponse) UnmarshalNDR(r *ndr.Reader) {
	p.SetID = r.Uint64()
	p.PingBackoffFactor = r.Uint16()
	p.Status = r.Uint32()
}

// ServerAlive2Response is the [out] side of ServerAlive2 (opnum 5; the
// request has no parameters). Bindings carry no endpoints.
type ServerAlive2Response struct {
	COMVersion COMVersion
	OrBindings *DualStringArray
	Reserved   uint32
	Status     uint32
}

// MarshalNDR writes the response.
func (p *ServerAlive2Response) MarshalNDR(w *ndr.Writer) {
	p.COMVersion.MarshalNDR(w)
	writeDSAPtr(w, p.OrBindings)
	w.Flush()
	w.Uint32(p.Reserved)
	w.Uint32(p.Status)
}

// UnmarshalNDR reads the response.
func (p *ServerAlive2Response) UnmarshalNDR(r *ndr.Reader) {
	p.COMVersion.UnmarshalNDR(r)
	readDSAPtr(r, &p.OrBindings)
	r.Flush()
	p.Reserved = r.Uint32()
	p.Status = r.Uint32()
}
