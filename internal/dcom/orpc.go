package dcom

import "github.com/iisctl/iisctl/ndr"

// COMVersion is COMVERSION, [MS-DCOM] 2.2.11.
type COMVersion struct {
	Major uint16
	Minor uint16
}

// MarshalNDR writes the two version numbers.
func (v COMVersion) MarshalNDR(w *ndr.Writer) { w.Uint16(v.Major); w.Uint16(v.Minor) }

// UnmarshalNDR reads the two version numbers.
func (v *COMVersion) UnmarshalNDR(r *ndr.Reader) { v.Major = r.Uint16(); v.Minor = r.Uint16() }

// ORPCExtent is ORPC_EXTENT, [MS-DCOM] 2.2.13.1: an extension identified by
// a GUID. Data holds Size bytes; the wire array is rounded up to 8.
type ORPCExtent struct {
	ID   ndr.GUID
	Data []byte
}

func extentPad(n int) int { return (n + 7) &^ 7 }

// MarshalNDR writes the conformant structure (count first).
func (e *ORPCExtent) MarshalNDR(w *ndr.Writer) {
	w.Count(extentPad(len(e.Data)))
	e.ID.MarshalNDR(w)
	w.Uint32(uint32(len(e.Data)))
	w.Raw(e.Data)
	w.Raw(make([]byte, extentPad(len(e.Data))-len(e.Data)))
	w.Tail(4)
}

// UnmarshalNDR reads the conformant structure; the count must be
// (size+7)&~7.
func (e *ORPCExtent) UnmarshalNDR(r *ndr.Reader) {
	n := r.Count()
	e.ID.UnmarshalNDR(r)
	size := r.Uint32()
	if r.OK() && (uint64(n) != (uint64(size)+7)&^7) {
		r.Failf("ORPC_EXTENT: size_is %d but size %d", n, size)
		return
	}
	b := r.Raw(n)
	if b != nil {
		e.Data = append([]byte(nil), b[:size]...)
	}
	r.Tail(4)
}

// ORPCExtentArray is ORPC_EXTENT_ARRAY, [MS-DCOM] 2.2.13.2. Extents are
// kept so that a re-encoding is identical; nil entries are NULL pointers.
// The wire array has (Size+1)&~1 entries: Size is len(Extents) rounded
// down to what the sender declared.
type ORPCExtentArray struct {
	Size     uint32
	Reserved uint32
	Extents  []*ORPCExtent // len == (Size+1)&^1
}

// MarshalNDR writes the structure and its deferred array of pointers.
func (a *ORPCExtentArray) MarshalNDR(w *ndr.Writer) {
	w.Uint32(a.Size)
	w.Uint32(a.Reserved)
	w.Pointer(a.Extents != nil, func(w *ndr.Writer) {
		w.Count(len(a.Extents))
		for _, e := range a.Extents {
			w.Pointer(e != nil, func(w *ndr.Writer) { e.MarshalNDR(w) })
		}
	})
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure, checking the correlated count.
func (a *ORPCExtentArray) UnmarshalNDR(r *ndr.Reader) {
	a.Size = r.Uint32()
	a.Reserved = r.Uint32()
	want := int((uint64(a.Size) + 1) &^ 1)
	present := r.Pointer(func(r *ndr.Reader) {
		n, ok := r.Conformance(want, 4, "ORPC_EXTENT_ARRAY")
		if !ok {
			return
		}
		a.Extents = make([]*ORPCExtent, n)
		for i := range a.Extents {
			r.Pointer(func(r *ndr.Reader) {
				a.Extents[i] = new(ORPCExtent)
				a.Extents[i].UnmarshalNDR(r)
			})
		}
	})
	r.CheckNull(present, want)
	r.Tail(r.PtrAlign())
}

// ORPCThis is ORPCTHIS, [MS-DCOM] 2.2.13.3: the implicit first parameter
// of every ORPC request. With no extensions it is 32 bytes in NDR20.
type ORPCThis struct {
	Version    COMVersion
	Flags      uint32
	Reserved1  uint32
	CID        ndr.GUID
	Extensions *ORPCExtentArray // nil: NULL
}

// MarshalNDR writes ORPCTHIS.
func (o *ORPCThis) MarshalNDR(w *ndr.Writer) {
	w.Align(w.PtrAlign())
	o.Version.MarshalNDR(w)
	w.Uint32(o.Flags)
	w.Uint32(o.Reserved1)
	o.CID.MarshalNDR(w)
	w.Pointer(o.Extensions != nil, func(w *ndr.Writer) { o.Extensions.MarshalNDR(w) })
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads ORPCTHIS.
func (o *ORPCThis) UnmarshalNDR(r *ndr.Reader) {
	r.Align(r.PtrAlign())
	o.Version.UnmarshalNDR(r)
	o.Flags = r.Uint32()
	o.Reserved1 = r.Uint32()
	o.CID.UnmarshalNDR(r)
	r.Pointer(func(r *ndr.Reader) {
		o.Extensions = new(ORPCExtentArray)
		o.Extensions.UnmarshalNDR(r)
	})
	r.Tail(r.PtrAlign())
}

// ORPCThat is ORPCTHAT, [MS-DCOM] 2.2.13.4: the implicit first [out]
// parameter of every ORPC response. With no extensions it is 8 bytes in NDR20.
type ORPCThat struct {
	Flags      uint32
	Extensions *ORPCExtentArray // nil: NULL
}

// MarshalNDR writes ORPCTHAT.
func (o *ORPCThat) MarshalNDR(w *ndr.Writer) {
	w.Align(w.PtrAlign())
	w.Uint32(o.Flags)
	w.Pointer(o.Extensions != nil, func(w *ndr.Writer) { o.Extensions.MarshalNDR(w) })
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads ORPCTHAT.
func (o *ORPCThat) UnmarshalNDR(r *ndr.Reader) {
	r.Align(r.PtrAlign())
	o.Flags = r.Uint32()
	r.Pointer(func(r *ndr.Reader) {
		o.Extensions = new(ORPCExtentArray)
		o.Extensions.UnmarshalNDR(r)
	})
	r.Tail(r.PtrAlign())
}
