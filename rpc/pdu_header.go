package rpc

import (
	"encoding/binary"
	"fmt"
)

// PType is the PTYPE of a connection-oriented PDU (C706 12.6.4; [MS-RPCE] 2.2.2).
type PType uint8

// Connection-oriented PDU types.
const (
	PTypeRequest          PType = 0
	PTypeResponse         PType = 2
	PTypeFault            PType = 3
	PTypeBind             PType = 11
	PTypeBindAck          PType = 12
	PTypeBindNak          PType = 13
	PTypeAlterContext     PType = 14
	PTypeAlterContextResp PType = 15
	PTypeAuth3            PType = 16
	PTypeShutdown         PType = 17
	PTypeCoCancel         PType = 18
	PTypeOrphaned         PType = 19
)

var ptypeNames = map[PType]string{
	PTypeRequest: "request", PTypeResponse: "response", PTypeFault: "fault",
	PTypeBind: "bind", PTypeBindAck: "bind_ack", PTypeBindNak: "bind_nak",
	PTypeAlterContext: "alter_context", PTypeAlterContextResp: "alter_context_resp",
	PTypeAuth3: "auth3", PTypeShutdown: "shutdown", PTypeCoCancel: "co_cancel",
	PTypeOrphaned: "orphaned",
}

func (t PType) String() string {
	if s, ok := ptypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("ptype(%d)", uint8(t))
}

// PFC flags (C706 12.6.3.1; [MS-RPCE] 2.2.2.3).
const (
	FlagFirstFrag         uint8 = 0x01
	FlagLastFrag          uint8 = 0x02
	FlagPendingCancel     uint8 = 0x04 // on request/response
	FlagSupportHeaderSign uint8 = 0x04 // on bind, bind_ack, alter, alter_resp, auth3
	FlagConcMpx           uint8 = 0x10
	FlagDidNotExecute     uint8 = 0x20
	FlagMaybe             uint8 = 0x40
	FlagObjectUUID        uint8 = 0x80
)

// HeaderSize is the size of the common header.
const HeaderSize = 16

// DRepLE is the data representation we send: little-endian, ASCII, IEEE.
var DRepLE = [4]byte{0x10, 0, 0, 0}

// Header is the connection-oriented common header (C706 12.6.1).
// FragLength and AuthLength are filled in by [Marshal]; on decode they
// hold the wire values.
type Header struct {
	Version      uint8   // 0: rpc_vers, 5
	VersionMinor uint8   // 1: rpc_vers_minor, 0
	Type         PType   // 2: PTYPE
	Flags        uint8   // 3: pfc_flags
	DRep         [4]byte // 4: packed_drep; byte 0 bit 0x10 = little-endian
	FragLength   uint16  // 8: frag_length, whole fragment
	AuthLength   uint16  // 10: auth_length, token only
	CallID       uint32  // 12: call_id
}

// LittleEndian reports whether drep announces little-endian integers.
func (h *Header) LittleEndian() bool { return h.DRep[0]&0x10 != 0 }

func (h *Header) order() binary.ByteOrder {
	if h.LittleEndian() {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// HasFlag reports whether all bits of f are set.
func (h *Header) HasFlag(f uint8) bool { return h.Flags&f == f }

// ParseHeader decodes the 16-byte common header from b. It checks only
// what is needed to frame the PDU: the length of b and frag_length >= 16.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderSize {
		return h, fmt.Errorf("%w: %d-byte header", ErrShortPDU, len(b))
	}
	h.Version, h.VersionMinor = b[0], b[1]
	h.Type, h.Flags = PType(b[2]), b[3]
	copy(h.DRep[:], b[4:8])
	o := h.order()
	h.FragLength = o.Uint16(b[8:])
	h.AuthLength = o.Uint16(b[10:])
	h.CallID = o.Uint32(b[12:])
	if h.FragLength < HeaderSize {
		return h, fmt.Errorf("%w: frag_length %d", ErrMalformedPDU, h.FragLength)
	}
	return h, nil
}

// appendHeader writes h little-endian; the lengths are patched later.
func appendHeader(b []byte, h *Header) []byte {
	b = append(b, h.Version, h.VersionMinor, byte(h.Type), h.Flags)
	b = append(b, DRepLE[:]...)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 0)
	return binary.LittleEndian.AppendUint32(b, h.CallID)
}
