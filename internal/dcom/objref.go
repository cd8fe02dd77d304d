package dcom

import (
	"fmt"

	"github.com/iisctl/iisctl/ndr"
)

// OBJREF signatures and flags ([MS-DCOM] 2.2.18, 2.2.18.7).
const (
	ObjRefSignature         uint32 = 0x574f454d // "MEOW"
	ObjRefStandard          uint32 = 0x1
	ObjRefHandler           uint32 = 0x2
	ObjRefCustom            uint32 = 0x4
	ObjRefExtended          uint32 = 0x8
	ObjRefExtendedSignature uint32 = 0x4E535956
)

// StdObjRef is STDOBJREF, [MS-DCOM] 2.2.18.1-3: 40 bytes packed in an
// OBJREF, an NDR structure in REMQIRESULT.
type StdObjRef struct {
	Flags       uint32 // 0 or SORFNoPing
	CPublicRefs uint32
	OXID        uint64
	OID         uint64
	IPID        ndr.GUID
}

// MarshalNDR writes the IDL version (8-aligned for the hypers).
func (s *StdObjRef) MarshalNDR(w *ndr.Writer) {
	w.Align(8)
	w.Uint32(s.Flags)
	w.Uint32(s.CPublicRefs)
	w.Uint64(s.OXID)
	w.Uint64(s.OID)
	s.IPID.MarshalNDR(w)
	w.Tail(8)
}

// UnmarshalNDR reads the IDL version.
func (s *StdObjRef) UnmarshalNDR(r *ndr.Reader) {
	r.Align(8)
	s.Flags = r.Uint32()
	s.CPublicRefs = r.Uint32()
	s.OXID = r.Uint64()
	s.OID = r.Uint64()
	s.IPID.UnmarshalNDR(r)
	r.Tail(8)
}

func (s *StdObjRef) appendPacked(b []byte) []byte {
	b = put32(put32(b, s.Flags), s.CPublicRefs)
	b = put64(put64(b, s.OXID), s.OID)
	return append(b, s.IPID[:]...)
}

func (s *StdObjRef) readPacked(p *packedReader) {
	s.Flags, s.CPublicRefs = p.u32(), p.u32()
	s.OXID, s.OID = p.u64(), p.u64()
	s.IPID = p.guid()
}

// DataElement is DATAELEMENT, [MS-DCOM] 2.2.18.8: an envoy context.
// Data holds cbRounded bytes (cbSize rounded up to 8).
type DataElement struct {
	DataID ndr.GUID
	CbSize uint32
	Data   []byte
}

// ObjRef is OBJREF, [MS-DCOM] 2.2.18, in its four forms, selected by
// Flags. STANDARD uses Std and ResAddr; HANDLER adds CLSID; CUSTOM uses
// CLSID, CbExtension, Reserved and ObjectData; EXTENDED uses Std, ResAddr
// and Element. Reserved is kept as received: Windows sends
// len(ObjectData)+8 in activation blobs and len(ObjectData) in contexts.
type ObjRef struct {
	Flags   uint32
	IID     ndr.GUID
	Std     StdObjRef
	CLSID   ndr.GUID
	ResAddr DualStringArray

	CbExtension uint32
	Reserved    uint32
	ObjectData  []byte

	Element *DataElement
}

// NewCustomObjRef returns an OBJREF_CUSTOM with Reserved = len(data)+8,
// as Windows and impacket send it for activation properties.
func NewCustomObjRef(iid, clsid ndr.GUID, data []byte) *ObjRef {
	return &ObjRef{Flags: ObjRefCustom, IID: iid, CLSID: clsid, Reserved: uint32(len(data) + 8), ObjectData: data}
}

// NewStandardObjRef returns an OBJREF_STANDARD.
func NewStandardObjRef(iid ndr.GUID, std StdObjRef, resAddr DualStringArray) *ObjRef {
	return &ObjRef{Flags: ObjRefStandard, IID: iid, Std: std, ResAddr: resAddr}
}

// Bytes returns the packed OBJREF.
func (o *ObjRef) Bytes() []byte {
	b := put32(put32(make([]byte, 0, 128), ObjRefSignature), o.Flags)
	b = append(b, o.IID[:]...)
	switch o.Flags {
	case ObjRefStandard:
		b = o.ResAddr.AppendPacked(o.Std.appendPacked(b))
	case ObjRefHandler:
		b = o.ResAddr.AppendPacked(append(o.Std.appendPacked(b), o.CLSID[:]...))
	case ObjRefCustom:
		b = put32(put32(append(b, o.CLSID[:]...), o.CbExtension), o.Reserved)
		b = append(b, o.ObjectData...)
	case ObjRefExtended:
		b = o.appendExtended(b)
	}
	return b
}

func (o *ObjRef) appendExtended(b []byte) []byte {
	b = put32(o.Std.appendPacked(b), ObjRefExtendedSignature)
	b = put32(put32(o.ResAddr.AppendPacked(b), 1), ObjRefExtendedSignature)
	e := o.Element
	if e == nil {
		e = &DataElement{}
	}
	b = put32(put32(append(b, e.DataID[:]...), e.CbSize), uint32(len(e.Data)))
	return append(b, e.Data...)
}

// ParseObjRef decodes a packed OBJREF. For OBJREF_CUSTOM the object data
// runs to the end of b; for the other forms bytes after the structure are
// ignored.
func ParseObjRef(b []byte) (*ObjRef, error) {
	p := newPacked(b)
	o := new(ObjRef)
	if sig := p.u32(); p.Err() == nil && sig != ObjRefSignature {
		p.failf("OBJREF signature 0x%08x", sig)
	}
	o.Flags = p.u32()
	o.IID = p.guid()
	switch {
	case p.Err() != nil:
	case o.Flags == ObjRefStandard:
		o.Std.readPacked(p)
		o.ResAddr.readPacked(p)
	case o.Flags == ObjRefHandler:
		o.Std.readPacked(p)
		o.CLSID = p.guid()
		o.ResAddr.readPacked(p)
	case o.Flags == ObjRefCustom:
		o.CLSID = p.guid()
		o.CbExtension, o.Reserved = p.u32(), p.u32()
		o.ObjectData = append([]byte{}, p.rest()...)
	case o.Flags == ObjRefExtended:
		o.readExtended(p)
	default:
		p.failf("OBJREF flags 0x%x", o.Flags)
	}
	if p.Err() != nil {
		return nil, p.err()
	}
	return o, nil
}

func (o *ObjRef) readExtended(p *packedReader) {
	o.Std.readPacked(p)
	if s := p.u32(); p.Err() == nil && s != ObjRefExtendedSignature {
		p.failf("OBJREF_EXTENDED Signature1 0x%08x", s)
	}
	o.ResAddr.readPacked(p)
	if n := p.u32(); p.Err() == nil && n != 1 {
		p.failf("OBJREF_EXTENDED nElms %d", n)
	}
	if s := p.u32(); p.Err() == nil && s != ObjRefExtendedSignature {
		p.failf("OBJREF_EXTENDED Signature2 0x%08x", s)
	}
	e := &DataElement{DataID: p.guid(), CbSize: p.u32()}
	rounded := p.u32()
	if p.Err() == nil && uint64(rounded) != (uint64(e.CbSize)+7)&^7 {
		p.failf("DATAELEMENT cbRounded %d for cbSize %d", rounded, e.CbSize)
	}
	if d := p.take(int(min(rounded, 1<<30))); d != nil {
		e.Data = append([]byte{}, d...)
	}
	o.Element = e
}

// MInterfacePointer is MInterfacePointer, [MS-DCOM] 2.2.14: a conformant
// structure {ulCntData, [size_is(ulCntData)] byte abData[]} whose data is
// a packed OBJREF.
type MInterfacePointer struct {
	Data []byte
}

// NewMInterfacePointer wraps the packed form of o.
func NewMInterfacePointer(o *ObjRef) *MInterfacePointer {
	return &MInterfacePointer{Data: o.Bytes()}
}

// ObjRef decodes the OBJREF in the data.
func (m *MInterfacePointer) ObjRef() (*ObjRef, error) {
	o, err := ParseObjRef(m.Data)
	if err != nil {
		return nil, fmt.Errorf("MInterfacePointer: %w", err)
	}
	return o, nil
}

// MarshalNDR writes the conformant structure: conformance, ulCntData, bytes.
func (m *MInterfacePointer) MarshalNDR(w *ndr.Writer) {
	w.Count(len(m.Data))
	w.Uint32(uint32(len(m.Data)))
	w.Raw(m.Data)
	w.Tail(4)
}

// UnmarshalNDR reads the structure; ulCntData must equal the conformance.
func (m *MInterfacePointer) UnmarshalNDR(r *ndr.Reader) {
	n := r.Count()
	if c := r.Uint32(); r.OK() && int(c) != n {
		r.Failf("MInterfacePointer: ulCntData %d but conformance %d", c, n)
		return
	}
	if b := r.Raw(n); b != nil {
		m.Data = append([]byte{}, b...)
	}
	r.Tail(4)
}

// writeMIP writes a unique MInterfacePointer* (NULL when m is nil).
func writeMIP(w *ndr.Writer, m *MInterfacePointer) {
	w.Pointer(m != nil, func(w *ndr.Writer) { m.MarshalNDR(w) })
}

// readMIP reads a unique MInterfacePointer* into *m.
func readMIP(r *ndr.Reader, m **MInterfacePointer) {
	r.Pointer(func(r *ndr.Reader) {
		*m = new(MInterfacePointer)
		(*m).UnmarshalNDR(r)
	})
}
