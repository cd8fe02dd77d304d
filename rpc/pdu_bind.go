package rpc

import "github.com/iisctl/iisctl/ndr"

// SyntaxID is p_syntax_id_t: a UUID and a version, major in the low 16
// bits of the wire u32 and minor in the high ones (C706 12.6.3.1).
type SyntaxID struct {
	UUID  ndr.GUID
	Major uint16
	Minor uint16
}

// Transfer syntax identifiers.
var (
	SyntaxNDR20 = SyntaxID{UUID: ndr.NDR20UUID, Major: ndr.NDR20Version}
	SyntaxNDR64 = SyntaxID{UUID: ndr.NDR64UUID, Major: ndr.NDR64Version}
)

func (c *cursor) syntax() SyntaxID {
	g := c.guid()
	v := c.u32()
	return SyntaxID{UUID: g, Major: uint16(v), Minor: uint16(v >> 16)}
}

func appendSyntax(b []byte, s SyntaxID) []byte {
	b = appendGUID(b, s.UUID)
	return appendU32(b, uint32(s.Major)|uint32(s.Minor)<<16)
}

// ContextElement is p_cont_elem_t, one presentation context offered in a
// bind or alter_context.
type ContextElement struct {
	ContextID uint16 // p_cont_id
	Reserved  uint8  // after n_transfer_syn
	Abstract  SyntaxID
	Transfer  []SyntaxID
}

// Bind is the body of bind and alter_context (C706 12.6.4.3, 12.6.4.1).
type Bind struct {
	MaxXmitFrag uint16 // 16: max_xmit_frag
	MaxRecvFrag uint16 // 18: max_recv_frag
	AssocGroup  uint32 // 20: assoc_group_id
	Reserved    [3]byte
	Contexts    []ContextElement // 24: n_context_elem u8, 3 reserved, p_cont_elem[]
}

func (m *Bind) appendBody(b []byte) []byte {
	b = appendU16(b, m.MaxXmitFrag)
	b = appendU16(b, m.MaxRecvFrag)
	b = appendU32(b, m.AssocGroup)
	b = append(b, byte(len(m.Contexts)))
	b = append(b, m.Reserved[:]...)
	for _, e := range m.Contexts {
		b = appendU16(b, e.ContextID)
		b = append(b, byte(len(e.Transfer)), e.Reserved)
		b = appendSyntax(b, e.Abstract)
		for _, t := range e.Transfer {
			b = appendSyntax(b, t)
		}
	}
	return b
}

func (m *Bind) decodeBody(c *cursor, _ *Header) {
	m.MaxXmitFrag, m.MaxRecvFrag, m.AssocGroup = c.u16(), c.u16(), c.u32()
	n := int(c.u8())
	copy(m.Reserved[:], c.take(3))
	// Each element is at least 24 bytes: bound the allocation by what is present.
	if n*24 > c.remaining() {
		c.fail()
		return
	}
	m.Contexts = make([]ContextElement, n)
	for i := range m.Contexts {
		e := &m.Contexts[i]
		e.ContextID = c.u16()
		nt := int(c.u8())
		e.Reserved = c.u8()
		e.Abstract = c.syntax()
		if nt*20 > c.remaining() {
			c.fail()
			return
		}
		e.Transfer = make([]SyntaxID, nt)
		for j := range e.Transfer {
			e.Transfer[j] = c.syntax()
		}
	}
}

func (m *Bind) stubOffset() int { return -1 }

// Presentation context results (C706 12.6.3.1; [MS-RPCE] 2.2.2.4).
const (
	ResultAcceptance         uint16 = 0
	ResultUserRejection      uint16 = 1
	ResultProviderRejection  uint16 = 2
	ResultNegotiateAck       uint16 = 3 // bind-time feature negotiation
	ReasonNotSpecified       uint16 = 0
	ReasonAbstractSyntaxNS   uint16 = 1 // abstract_syntax_not_supported
	ReasonTransferSyntaxesNS uint16 = 2 // proposed_transfer_syntaxes_not_supported
)

// ContextResult is p_result_t. For result 3 Reason carries the bind-time
// feature response bitmask.
type ContextResult struct {
	Result   uint16
	Reason   uint16
	Transfer SyntaxID
}

// BindAck is the body of bind_ack and alter_context_resp (C706 12.6.4.4, 12.6.4.2).
type BindAck struct {
	MaxXmitFrag uint16 // 16: max_xmit_frag
	MaxRecvFrag uint16 // 18: max_recv_frag
	AssocGroup  uint32 // 20: assoc_group_id
	// SecondaryAddr is sec_addr without its NUL, e.g. "135"; the empty
	// string encodes as length 0 (alter_context_resp).
	SecondaryAddr string // 24: u16 length (incl. NUL), port_spec
	AddrPad       []byte // padding to 4 as received; zeros when nil or not aligning
	Reserved      [3]byte
	Results       []ContextResult // n_results u8, 3 reserved, p_result_t[]
}

func (m *BindAck) appendBody(b []byte) []byte {
	start := len(b) // body start; the header is 16 bytes, so 4-alignment agrees
	b = appendU16(b, m.MaxXmitFrag)
	b = appendU16(b, m.MaxRecvFrag)
	b = appendU32(b, m.AssocGroup)
	if m.SecondaryAddr == "" {
		b = appendU16(b, 0)
	} else {
		b = appendU16(b, uint16(len(m.SecondaryAddr)+1))
		b = append(b, m.SecondaryAddr...)
		b = append(b, 0)
	}
	if m.AddrPad != nil && (len(b)-start+len(m.AddrPad))%4 == 0 {
		b = append(b, m.AddrPad...)
	} else {
		b = padTo(b, start, 4)
	}
	b = append(b, byte(len(m.Results)))
	b = append(b, m.Reserved[:]...)
	for _, r := range m.Results {
		b = appendU16(b, r.Result)
		b = appendU16(b, r.Reason)
		b = appendSyntax(b, r.Transfer)
	}
	return b
}

func (m *BindAck) decodeBody(c *cursor, _ *Header) {
	m.MaxXmitFrag, m.MaxRecvFrag, m.AssocGroup = c.u16(), c.u16(), c.u32()
	addr := c.take(int(c.u16()))
	if len(addr) > 0 && addr[len(addr)-1] == 0 {
		addr = addr[:len(addr)-1]
	}
	m.SecondaryAddr = string(addr)
	m.AddrPad = c.align(4) // body offset 0 is PDU offset 16, so 4-alignment agrees
	n := int(c.u8())
	copy(m.Reserved[:], c.take(3))
	if n*24 > c.remaining() {
		c.fail()
		return
	}
	m.Results = make([]ContextResult, n)
	for i := range m.Results {
		m.Results[i] = ContextResult{Result: c.u16(), Reason: c.u16(), Transfer: c.syntax()}
	}
}

func (m *BindAck) stubOffset() int { return -1 }

// Version is an RPC protocol version in bind_nak.
type Version struct{ Major, Minor uint8 }

// ExtendedErrorSignature marks extended error information in a bind_nak
// ([MS-RPCE] 2.2.1.1.2, 2.2.2.9).
var ExtendedErrorSignature = ndr.MustGUID("90740320-fad0-11d3-82d7-009027b130ab")

// BindNak is the body of bind_nak (C706 12.6.4.5; [MS-RPCE] 2.2.2.9).
type BindNak struct {
	Reason   uint16    // 16: provider_reject_reason
	Versions []Version // 18: n_protocols u8, {major, minor}[]
	// Rest holds whatever follows the versions (padding, the optional
	// Signature and extended error information), verbatim.
	Rest []byte
}

// Signature returns the optional Signature field: the 16 bytes after the
// versions, aligned to 4 from the PDU start, when present.
func (m *BindNak) Signature() (ndr.GUID, bool) {
	var g ndr.GUID
	off := (4 - (HeaderSize+3+2*len(m.Versions))%4) % 4
	if len(m.Rest) < off+16 {
		return g, false
	}
	copy(g[:], m.Rest[off:])
	return g, true
}

func (m *BindNak) appendBody(b []byte) []byte {
	b = appendU16(b, m.Reason)
	b = append(b, byte(len(m.Versions)))
	for _, v := range m.Versions {
		b = append(b, v.Major, v.Minor)
	}
	return append(b, m.Rest...)
}

func (m *BindNak) decodeBody(c *cursor, _ *Header) {
	m.Reason = c.u16()
	n := int(c.u8())
	if 2*n > c.remaining() {
		c.fail()
		return
	}
	m.Versions = make([]Version, n)
	for i := range m.Versions {
		m.Versions[i] = Version{c.u8(), c.u8()}
	}
	if c.remaining() > 0 {
		m.Rest = c.rest()
	}
}

func (m *BindNak) stubOffset() int { return -1 }
