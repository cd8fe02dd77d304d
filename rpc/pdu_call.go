package rpc

import "github.com/iisctl/iisctl/ndr"

// Request is the body of a request PDU (C706 12.6.4.9; [MS-RPCE] 2.2.2.6).
type Request struct {
	AllocHint uint32    // 16: alloc_hint, 0 or the stub bytes remaining
	ContextID uint16    // 20: p_cont_id
	Opnum     uint16    // 22: opnum
	Object    *ndr.GUID // 24: object, present iff PFC_OBJECT_UUID (Marshal sets the flag)
	Stub      []byte    // 24 or 40: stub data, without auth padding
}

func (r *Request) appendBody(b []byte) []byte {
	b = appendU32(b, r.AllocHint)
	b = appendU16(b, r.ContextID)
	b = appendU16(b, r.Opnum)
	if r.Object != nil {
		b = appendGUID(b, *r.Object)
	}
	return append(b, r.Stub...)
}

func (r *Request) decodeBody(c *cursor, h *Header) {
	r.AllocHint, r.ContextID, r.Opnum = c.u32(), c.u16(), c.u16()
	if h.Flags&FlagObjectUUID != 0 {
		g := c.guid()
		r.Object = &g
	}
	r.Stub = c.rest()
}

func (r *Request) stubOffset() int {
	if r.Object != nil {
		return 24
	}
	return 8
}

// Response is the body of a response PDU (C706 12.6.4.10).
type Response struct {
	AllocHint   uint32 // 16: alloc_hint
	ContextID   uint16 // 20: p_cont_id
	CancelCount uint8  // 22: cancel_count
	Reserved    uint8  // 23
	Stub        []byte // 24: stub data, without auth padding
}

func (r *Response) appendBody(b []byte) []byte {
	b = appendU32(b, r.AllocHint)
	b = appendU16(b, r.ContextID)
	b = append(b, r.CancelCount, r.Reserved)
	return append(b, r.Stub...)
}

func (r *Response) decodeBody(c *cursor, _ *Header) {
	r.AllocHint, r.ContextID = c.u32(), c.u16()
	r.CancelCount, r.Reserved = c.u8(), c.u8()
	r.Stub = c.rest()
}

func (r *Response) stubOffset() int { return 8 }

// Fault is the body of a fault PDU (C706 12.6.4.7; [MS-RPCE] 2.2.2.8).
// We never send a stub; Stub keeps any trailing bytes a peer sent.
type Fault struct {
	AllocHint   uint32 // 16: alloc_hint
	ContextID   uint16 // 20: p_cont_id
	CancelCount uint8  // 22: cancel_count
	Reserved    uint8  // 23
	Status      uint32 // 24: status
	Reserved2   uint32 // 28
	Stub        []byte // 32
}

func (f *Fault) appendBody(b []byte) []byte {
	b = appendU32(b, f.AllocHint)
	b = appendU16(b, f.ContextID)
	b = append(b, f.CancelCount, f.Reserved)
	b = appendU32(b, f.Status)
	b = appendU32(b, f.Reserved2)
	return append(b, f.Stub...)
}

func (f *Fault) decodeBody(c *cursor, _ *Header) {
	f.AllocHint, f.ContextID = c.u32(), c.u16()
	f.CancelCount, f.Reserved = c.u8(), c.u8()
	f.Status = c.u32()
	// reserved may be absent in short faults from old stacks
	if c.remaining() >= 4 {
		f.Reserved2 = c.u32()
	}
	f.Stub = c.rest()
}

func (f *Fault) stubOffset() int { return 16 }

// Auth3 is the body of rpc_auth_3 ([MS-RPCE] 2.2.2.10): four pad octets
// before the sec_trailer. Pad keeps them as received; nil encodes zeros.
type Auth3 struct {
	Pad []byte
}

func (a *Auth3) appendBody(b []byte) []byte {
	if a.Pad == nil {
		return append(b, 0, 0, 0, 0)
	}
	return append(b, a.Pad...)
}

func (a *Auth3) decodeBody(c *cursor, _ *Header) { a.Pad = c.rest() }

func (a *Auth3) stubOffset() int { return -1 }

// Empty is the body of shutdown, co_cancel and orphaned, which have none;
// Raw keeps any bytes a peer sent.
type Empty struct {
	Raw []byte
}

func (e *Empty) appendBody(b []byte) []byte { return append(b, e.Raw...) }

func (e *Empty) decodeBody(c *cursor, _ *Header) {
	if c.remaining() > 0 {
		e.Raw = c.rest()
	}
}

func (e *Empty) stubOffset() int { return -1 }
