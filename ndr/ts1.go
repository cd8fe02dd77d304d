package ndr

import (
	"encoding/binary"
	"fmt"
)

// Type Serialization Version 1 ([MS-RPCE] 2.2.6): an 8-byte common
// header {version 1, endianness 0x10, header length 8, filler 0xCCCCCCCC},
// an 8-byte private header {object buffer length, filler 0}, then the
// NDR20 body padded to a multiple of 8. DCOM activation properties use it
// ([MS-DCOM] 2.2.22).
var ts1CommonHeader = [8]byte{0x01, 0x10, 0x08, 0x00, 0xCC, 0xCC, 0xCC, 0xCC}

// TS1HeaderLen is the length of the common and private headers.
const TS1HeaderLen = 16

// EncodeTS1 serializes m as a Type Serialization Version 1 stream.
func EncodeTS1(m Marshaler) ([]byte, error) {
	w := NewWriter(NDR20)
	w.Raw(make([]byte, TS1HeaderLen)) // body alignment counts from here: 16 is 8-aligned
	w.Marshal(m)
	w.Align(8)
	if err := w.Err(); err != nil {
		return nil, err
	}
	b := w.Bytes()
	copy(b, ts1CommonHeader[:])
	binary.LittleEndian.PutUint32(b[8:], uint32(len(b)-TS1HeaderLen))
	binary.LittleEndian.PutUint32(b[12:], 0)
	return b, nil
}

// DecodeTS1 parses a Type Serialization Version 1 stream into u. Bytes
// after the declared object buffer are ignored.
func DecodeTS1(b []byte, u Unmarshaler) error {
	if len(b) < TS1HeaderLen {
		return &Error{Offset: 0, Msg: fmt.Sprintf("type serialization stream of %d bytes", len(b))}
	}
	if b[0] != 1 || b[1] != 0x10 || binary.LittleEndian.Uint16(b[2:]) != 8 {
		return &Error{Offset: 0, Msg: fmt.Sprintf("type serialization header % x is not version 1 little-endian", b[:4])}
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n) > uint64(len(b)-TS1HeaderLen) {
		return &Error{Offset: 8, Msg: fmt.Sprintf("object buffer length %d exceeds the %d bytes present", n, len(b)-TS1HeaderLen)}
	}
	r := NewReader(b[:TS1HeaderLen+int(n)], NDR20)
	r.off = TS1HeaderLen
	r.Unmarshal(u)
	return r.Err()
}
