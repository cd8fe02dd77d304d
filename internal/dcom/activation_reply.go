package dcom

import "github.com/iisctl/iisctl/ndr"

// RemoteReplySCMInfo is customREMOTE_REPLY_SCM_INFO, [MS-DCOM]
// 2.2.22.2.8.1: how to reach the object exporter.
type RemoteReplySCMInfo struct {
	OXID           uint64
	OxidBindings   *DualStringArray // must not be nil; "host[port]" bindings
	IPIDRemUnknown ndr.GUID
	AuthnHint      uint32 // minimum authentication level (we send 6)
	ServerVersion  COMVersion
}

// MarshalNDR writes the structure and its deferred bindings.
func (d *RemoteReplySCMInfo) MarshalNDR(w *ndr.Writer) {
	w.Uint64(d.OXID)
	w.Pointer(d.OxidBindings != nil, func(w *ndr.Writer) { d.OxidBindings.MarshalNDR(w) })
	d.IPIDRemUnknown.MarshalNDR(w)
	w.Uint32(d.AuthnHint)
	d.ServerVersion.MarshalNDR(w)
	w.Tail(8)
}

// UnmarshalNDR reads the structure; NULL bindings are invalid.
func (d *RemoteReplySCMInfo) UnmarshalNDR(r *ndr.Reader) {
	d.OXID = r.Uint64()
	if !readDSAPtr(r, &d.OxidBindings) && r.OK() {
		r.Failf("customREMOTE_REPLY_SCM_INFO: NULL pdsaOxidBindings")
	}
	d.IPIDRemUnknown.UnmarshalNDR(r)
	d.AuthnHint = r.Uint32()
	d.ServerVersion.UnmarshalNDR(r)
	r.Tail(8)
}

// readDSAPtr reads a unique DUALSTRINGARRAY* and reports whether it was non-NULL.
func readDSAPtr(r *ndr.Reader, d **DualStringArray) bool {
	return r.Pointer(func(r *ndr.Reader) {
		*d = new(DualStringArray)
		(*d).UnmarshalNDR(r)
	})
}

// writeDSAPtr writes a unique DUALSTRINGARRAY*.
func writeDSAPtr(w *ndr.Writer, d *DualStringArray) {
	w.Pointer(d != nil, func(w *ndr.Writer) { d.MarshalNDR(w) })
}

// ScmReplyInfoData is [MS-DCOM] 2.2.22.2.8.
type ScmReplyInfoData struct {
	PdwReserved *uint32
	RemoteReply *RemoteReplySCMInfo
}

// MarshalNDR writes the structure.
func (d *ScmReplyInfoData) MarshalNDR(w *ndr.Writer) {
	writeOptU32(w, d.PdwReserved)
	w.Pointer(d.RemoteReply != nil, func(w *ndr.Writer) { d.RemoteReply.MarshalNDR(w) })
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure. A NULL remoteReply is accepted (the
// caller decides); ParseActivationOut rejects it.
func (d *ScmReplyInfoData) UnmarshalNDR(r *ndr.Reader) {
	readOptU32(r, &d.PdwReserved)
	r.Pointer(func(r *ndr.Reader) {
		d.RemoteReply = new(RemoteReplySCMInfo)
		d.RemoteReply.UnmarshalNDR(r)
	})
	r.Tail(r.PtrAlign())
}

// PropsOutInfo is [MS-DCOM] 2.2.22.2.9: per requested interface, its IID,
// result and OBJREF (nil when the result is a failure). The three slices
// have the same length cIfs, 1..MaxRequestedInterfaces.
type PropsOutInfo struct {
	IIDs     []ndr.GUID
	Results  []HRESULT
	IntfData []*MInterfacePointer
}

// MarshalNDR writes the structure and its three deferred arrays.
func (d *PropsOutInfo) MarshalNDR(w *ndr.Writer) {
	n := len(d.IIDs)
	if len(d.Results) != n || len(d.IntfData) != n {
		w.Fail(errMismatch("PropsOutInfo"))
	}
	w.Uint32(uint32(n))
	w.Pointer(d.IIDs != nil, func(w *ndr.Writer) { writeArray(w, d.IIDs, putGUID) })
	w.Pointer(d.Results != nil, func(w *ndr.Writer) { writeArray(w, d.Results, putHRESULT) })
	w.Pointer(d.IntfData != nil, func(w *ndr.Writer) { writeMIPArray(w, d.IntfData) })
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure, enforcing the range and the NULL rule.
func (d *PropsOutInfo) UnmarshalNDR(r *ndr.Reader) {
	n := int(r.Uint32())
	if r.OK() && (n < 1 || n > MaxRequestedInterfaces) {
		r.Failf("PropsOutInfo: cIfs %d out of range", n)
	}
	p1 := r.Pointer(func(r *ndr.Reader) { d.IIDs = readArray(r, n, 16, "PropsOutInfo.piid", getGUID) })
	r.CheckNull(p1, n)
	p2 := r.Pointer(func(r *ndr.Reader) { d.Results = readArray(r, n, 4, "PropsOutInfo.phresults", getHRESULT) })
	r.CheckNull(p2, n)
	p3 := r.Pointer(func(r *ndr.Reader) { d.IntfData = readMIPArray(r, n, "PropsOutInfo.ppIntfData") })
	r.CheckNull(p3, n)
	r.Tail(r.PtrAlign())
}

// writeMIPArray writes a conformant array of unique MInterfacePointer*.
func writeMIPArray(w *ndr.Writer, m []*MInterfacePointer) {
	w.Count(len(m))
	for _, p := range m {
		writeMIP(w, p)
	}
}

// readMIPArray reads a conformant array of unique MInterfacePointer*.
func readMIPArray(r *ndr.Reader, want int, what string) []*MInterfacePointer {
	n, ok := r.Conformance(want, 4, what)
	if !ok {
		return nil
	}
	return readMIPArrayN(r, n)
}

// CustomHeader is [MS-DCOM] 2.2.22.1: the table of contents of an
// activation properties BLOB.
type CustomHeader struct {
	TotalSize      uint32
	HeaderSize     uint32
	DwReserved     uint32
	DestCtx        uint32
	ClassInfoClsid ndr.GUID
	CLSIDs         []ndr.GUID // pclsid, cIfs entries (1..MaxActPropLimit)
	Sizes          []uint32   // pSizes, cIfs entries
	PdwReserved    *uint32
}

// MarshalNDR writes the header and its deferred arrays.
func (h *CustomHeader) MarshalNDR(w *ndr.Writer) {
	if len(h.Sizes) != len(h.CLSIDs) {
		w.Fail(errMismatch("CustomHeader"))
	}
	w.Uint32(h.TotalSize)
	w.Uint32(h.HeaderSize)
	w.Uint32(h.DwReserved)
	w.Uint32(h.DestCtx)
	w.Uint32(uint32(len(h.CLSIDs)))
	h.ClassInfoClsid.MarshalNDR(w)
	w.Pointer(h.CLSIDs != nil, func(w *ndr.Writer) { writeArray(w, h.CLSIDs, putGUID) })
	w.Pointer(h.Sizes != nil, func(w *ndr.Writer) { writeArray(w, h.Sizes, (*ndr.Writer).Uint32) })
	writeOptU32(w, h.PdwReserved)
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the header, enforcing range(MIN_ACTPROP_LIMIT, MAX_ACTPROP_LIMIT).
func (h *CustomHeader) UnmarshalNDR(r *ndr.Reader) {
	h.TotalSize, h.HeaderSize, h.DwReserved, h.DestCtx = r.Uint32(), r.Uint32(), r.Uint32(), r.Uint32()
	n := int(r.Uint32())
	if r.OK() && (n < MinActPropLimit || n > MaxActPropLimit) {
		r.Failf("CustomHeader: cIfs %d out of range", n)
	}
	h.ClassInfoClsid.UnmarshalNDR(r)
	p1 := r.Pointer(func(r *ndr.Reader) { h.CLSIDs = readArray(r, n, 16, "CustomHeader.pclsid", getGUID) })
	r.CheckNull(p1, n)
	p2 := r.Pointer(func(r *ndr.Reader) { h.Sizes = readArray(r, n, 4, "CustomHeader.pSizes", (*ndr.Reader).Uint32) })
	r.CheckNull(p2, n)
	readOptU32(r, &h.PdwReserved)
	r.Tail(r.PtrAlign())
}
