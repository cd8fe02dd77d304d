package ntlm

import (
	"encoding/binary"
	"time"

	"github.com/iisctl/iisctl/internal/cursor"
)

// AvID is an AV_PAIR identifier (2.2.2.1).
type AvID uint16

// AV_PAIR identifiers (2.2.2.1).
const (
	AvEOL             AvID = 0x0000
	AvNbComputerName  AvID = 0x0001
	AvNbDomainName    AvID = 0x0002
	AvDNSComputerName AvID = 0x0003
	AvDNSDomainName   AvID = 0x0004
	AvDNSTreeName     AvID = 0x0005
	AvFlags           AvID = 0x0006
	AvTimestamp       AvID = 0x0007
	AvSingleHost      AvID = 0x0008
	AvTargetName      AvID = 0x0009
	AvChannelBindings AvID = 0x000A
)

// MsvAvFlags bits (2.2.2.1).
const (
	AvFlagConstrained        uint32 = 0x1
	AvFlagMICPresent         uint32 = 0x2
	AvFlagUntrustedTargetSPN uint32 = 0x4
)

// AvPair is one attribute/value pair.
type AvPair struct {
	ID    AvID
	Value []byte
}

// AvPairs is an AV_PAIR list without its terminating MsvAvEOL.
type AvPairs []AvPair

// ParseAvPairs decodes an AV_PAIR list (2.2.2.1). The list must end with
// MsvAvEOL; bytes after it are ignored (the NTLMv2 blob's trailing Z(4),
// padding). Values are copies.
func ParseAvPairs(b []byte) (AvPairs, error) {
	var out AvPairs
	r := cursor.New(b)
	for {
		id, n := AvID(r.U16()), int(r.U16())
		if r.Err() != nil {
			return nil, malformed("AV_PAIR list without MsvAvEOL")
		}
		if id == AvEOL {
			return out, nil
		}
		v := r.Take(n)
		if r.Err() != nil {
			return nil, malformed("AV_PAIR %d: %d bytes of value, %d left", id, n, r.Remaining())
		}
		out = append(out, AvPair{ID: id, Value: append([]byte(nil), v...)})
	}
}

// Marshal encodes the list followed by MsvAvEOL. Values longer than
// 0xFFFF bytes are truncated; callers never build such values.
func (p AvPairs) Marshal() []byte {
	size := 4
	for _, a := range p {
		size += 4 + len(a.Value)
	}
	out := make([]byte, 0, size)
	for _, a := range p {
		v := a.Value
		if len(v) > 0xFFFF {
			v = v[:0xFFFF]
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(a.ID))
		out = binary.LittleEndian.AppendUint16(out, uint16(len(v)))
		out = append(out, v...)
	}
	return append(out, 0, 0, 0, 0)
}

// Get returns the value of the first pair with the given id.
func (p AvPairs) Get(id AvID) ([]byte, bool) {
	for _, a := range p {
		if a.ID == id {
			return a.Value, true
		}
	}
	return nil, false
}

// Set replaces the value of the first pair with id, or appends one.
func (p AvPairs) Set(id AvID, v []byte) AvPairs {
	for i := range p {
		if p[i].ID == id {
			p[i].Value = v
			return p
		}
	}
	return append(p, AvPair{ID: id, Value: v})
}

// String returns a UTF-16 valued pair (names, TargetName) as a string.
func (p AvPairs) String(id AvID) string {
	v, _ := p.Get(id)
	s, err := decodeString(v, true)
	if err != nil {
		return ""
	}
	return s
}

// Timestamp returns MsvAvTimestamp as a FILETIME (100 ns since 1601).
func (p AvPairs) Timestamp() (uint64, bool) {
	v, ok := p.Get(AvTimestamp)
	if !ok || len(v) != 8 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(v), true
}

// Flags returns MsvAvFlags, or 0.
func (p AvPairs) Flags() uint32 {
	v, ok := p.Get(AvFlags)
	if !ok || len(v) != 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(v)
}

// filetimeEpochDelta is 1601-01-01 to 1970-01-01 in 100 ns units.
const filetimeEpochDelta = 116444736000000000

// Filetime converts t to a FILETIME ([MS-DTYP] 2.3.3); times before
// 1601 give 0.
func Filetime(t time.Time) uint64 {
	v := t.Unix()*1e7 + int64(t.Nanosecond()/100) + filetimeEpochDelta
	if v < 0 {
		return 0
	}
	return uint64(v)
}

// FiletimeToTime is the inverse of Filetime.
func FiletimeToTime(ft uint64) time.Time {
	v := int64(ft - filetimeEpochDelta)
	return time.Unix(v/1e7, (v%1e7)*100).UTC()
}

func u32le(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64le(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
