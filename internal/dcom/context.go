package dcom

import "github.com/iisctl/iisctl/ndr"

// PropMarshalHeader is PROPMARSHALHEADER, [MS-DCOM] 2.2.20.1: one marshaled
// context property.
type PropMarshalHeader struct {
	CLSID    ndr.GUID
	PolicyID ndr.GUID
	Flags    uint32 // CPFlagPropagate, CPFlagExpose or CPFlagEnvoy
	Data     []byte // ctxProperty, cb bytes
}

// Context is the marshaled context of [MS-DCOM] 2.2.20 (packed, little
// endian), sent as a client context inside an OBJREF_CUSTOM with
// CLSID_ContextMarshaler and IID_IContext.
type Context struct {
	MajorVersion uint16 // 1
	MinorVersion uint16 // 1
	ContextID    ndr.GUID
	Flags        uint32 // CtxMshlFlagsByVal
	Reserved     uint32
	NumExtents   uint32 // 0
	CbExtents    uint32 // 0
	MshlFlags    uint32
	Frozen       uint32 // 1
	Props        []PropMarshalHeader
}

// NewClientContext returns the minimal client context our client sends
// (wire contract §7): version 1.1, by value, no properties, frozen.
func NewClientContext(id ndr.GUID) *Context {
	return &Context{MajorVersion: 1, MinorVersion: 1, ContextID: id, Flags: CtxMshlFlagsByVal, Frozen: 1}
}

// Bytes returns the packed context.
func (c *Context) Bytes() []byte {
	b := put16(put16(nil, c.MajorVersion), c.MinorVersion)
	b = append(b, c.ContextID[:]...)
	for _, v := range []uint32{c.Flags, c.Reserved, c.NumExtents, c.CbExtents, c.MshlFlags, uint32(len(c.Props)), c.Frozen} {
		b = put32(b, v)
	}
	for _, p := range c.Props {
		b = append(append(b, p.CLSID[:]...), p.PolicyID[:]...)
		b = append(put32(put32(b, p.Flags), uint32(len(p.Data))), p.Data...)
	}
	return b
}

// ParseContext decodes a packed context; trailing bytes are ignored.
func ParseContext(b []byte) (*Context, error) {
	p := newPacked(b)
	c := &Context{MajorVersion: p.u16(), MinorVersion: p.u16(), ContextID: p.guid()}
	c.Flags, c.Reserved, c.NumExtents, c.CbExtents, c.MshlFlags = p.u32(), p.u32(), p.u32(), p.u32(), p.u32()
	n := p.u32()
	c.Frozen = p.u32()
	if p.Err() == nil && uint64(n) > uint64(p.Remaining())/40 {
		p.failf("Context: %d properties in %d bytes", n, p.Remaining())
	}
	for i := 0; p.Err() == nil && i < int(n); i++ {
		h := PropMarshalHeader{CLSID: p.guid(), PolicyID: p.guid(), Flags: p.u32()}
		if d := p.take(int(p.u32())); d != nil {
			h.Data = append([]byte{}, d...)
			c.Props = append(c.Props, h)
		}
	}
	if p.Err() != nil {
		return nil, p.err()
	}
	return c, nil
}

// ObjRef wraps the context in its OBJREF_CUSTOM (2.2.20). Reserved is
// len(data), as Windows sends it.
func (c *Context) ObjRef() *ObjRef {
	d := c.Bytes()
	return &ObjRef{Flags: ObjRefCustom, IID: IID_IContext, CLSID: CLSID_ContextMarshaler, Reserved: uint32(len(d)), ObjectData: d}
}
