package iisswire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/iisctl/iisctl/svc"
)

// Entry is one service of a STATUS_BLOB ([MS-IISS] 2.2.1): the names
// and the SERVICE_STATUS of [MS-SCMR] 2.2.47. iiss.ServiceStatus has the
// same fields and converts from it.
type Entry struct {
	Name        string
	DisplayName string

	Type                    svc.Type  // dwServiceType
	State                   svc.State // dwCurrentState
	ControlsAccepted        uint32
	Win32ExitCode           uint32
	ServiceSpecificExitCode uint32
	CheckPoint              uint32
	WaitHint                uint32 // milliseconds
}

// EntrySize is the size of SERIALIZED_ENUM_SERVICE_STATUS ([MS-IISS]
// 2.2.1): iServiceName, iDisplayName and a 28-byte SERVICE_STATUS.
const EntrySize = 36

// OffsetUnit says how a STATUS_BLOB counts its string offsets.
type OffsetUnit uint8

// Offset units: [MS-IISS] 2.2.1 says WCHARs (normative); the 4.1 example
// says bytes. Servers here write WCHARs; clients accept both.
const (
	OffsetWCHAR OffsetUnit = iota
	OffsetBytes
)

func (u OffsetUnit) String() string {
	if u == OffsetBytes {
		return "bytes"
	}
	return "WCHARs"
}

// ErrBadStatusBlob is wrapped by every STATUS_BLOB decoding failure.
var ErrBadStatusBlob = errors.New("iiss: malformed STATUS_BLOB")

// RequiredSize is the byte size of the STATUS_BLOB for list:
// 36·N + Σ 2·(len(name)+1 + len(display)+1), in UTF-16 code units.
func RequiredSize(list []Entry) int {
	n := EntrySize * len(list)
	for _, s := range list {
		n += 2 * (utf16Len(s.Name) + 1 + utf16Len(s.DisplayName) + 1)
	}
	return n
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// EncodeStatusBlob lays out list as a STATUS_BLOB ([MS-IISS] 2.2.2): the
// entries, then per service its name and display name as NUL-terminated
// UTF-16LE, with offsets in WCHARs (2.2.1).
func EncodeStatusBlob(list []Entry) []byte {
	return encodeStatusBlobAs(list, OffsetWCHAR)
}

// EncodeStatusBlobUnit is EncodeStatusBlob with a chosen offset unit;
// OffsetBytes reproduces what the 4.1 example describes.
func EncodeStatusBlobUnit(list []Entry, u OffsetUnit) []byte {
	return encodeStatusBlobAs(list, u)
}

func encodeStatusBlobAs(list []Entry, u OffsetUnit) []byte {
	buf := make([]byte, EntrySize*len(list), RequiredSize(list))
	le := binary.LittleEndian
	for i, s := range list {
		e := buf[i*EntrySize:]
		le.PutUint32(e[0:], offsetOut(len(buf), u))
		buf = appendWString(buf, s.Name)
		le.PutUint32(e[4:], offsetOut(len(buf), u))
		buf = appendWString(buf, s.DisplayName)
		for j, v := range [7]uint32{uint32(s.Type), uint32(s.State), s.ControlsAccepted, s.Win32ExitCode,
			s.ServiceSpecificExitCode, s.CheckPoint, s.WaitHint} {
			le.PutUint32(e[8+4*j:], v)
		}
	}
	return buf
}

func offsetOut(byteOff int, u OffsetUnit) uint32 {
	if u == OffsetBytes {
		return uint32(byteOff)
	}
	return uint32(byteOff / 2)
}

func appendWString(b []byte, s string) []byte {
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

// DecodeStatusBlob parses numServices entries from buf. The offset unit
// is decided on entry 0 ([MS-IISS] 2.2.1 counts WCHARs, the 4.1 example
// bytes): WCHARs if iServiceName·2 ==
// 36N, bytes if iServiceName == 36N; otherwise the unit under which every
// offset lies in [36N, len), is even, and follows a NUL (or starts the
// string area). A blob that fits neither is rejected. Whatever the unit,
// every string offset must pass the same test and every string must end
// in a NUL inside buf. numServices above len(buf)/36 is an error, so
// nothing is allocated beyond what buf can hold.
func DecodeStatusBlob(buf []byte, numServices uint32) ([]Entry, OffsetUnit, error) {
	if uint64(numServices) > uint64(len(buf)/EntrySize) {
		return nil, 0, fmt.Errorf("%w: %d services cannot fit in %d bytes", ErrBadStatusBlob, numServices, len(buf))
	}
	n := int(numServices)
	if n == 0 {
		return []Entry{}, OffsetWCHAR, nil
	}
	u, err := detectUnit(buf, n)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Entry, n)
	le := binary.LittleEndian
	for i := range out {
		e := buf[i*EntrySize:]
		name, err := blobString(buf, n, le.Uint32(e[0:]), u)
		if err != nil {
			return nil, 0, fmt.Errorf("entry %d name: %w", i, err)
		}
		disp, err := blobString(buf, n, le.Uint32(e[4:]), u)
		if err != nil {
			return nil, 0, fmt.Errorf("entry %d display name: %w", i, err)
		}
		out[i] = Entry{Name: name, DisplayName: disp,
			Type: svc.Type(le.Uint32(e[8:])), State: svc.State(le.Uint32(e[12:])),
			ControlsAccepted: le.Uint32(e[16:]), Win32ExitCode: le.Uint32(e[20:]),
			ServiceSpecificExitCode: le.Uint32(e[24:]), CheckPoint: le.Uint32(e[28:]), WaitHint: le.Uint32(e[32:])}
	}
	return out, u, nil
}

func detectUnit(buf []byte, n int) (OffsetUnit, error) {
	first := uint64(binary.LittleEndian.Uint32(buf))
	switch strArea := uint64(EntrySize * n); {
	case first*2 == strArea:
		return OffsetWCHAR, nil
	case first == strArea:
		return OffsetBytes, nil
	}
	for _, u := range []OffsetUnit{OffsetWCHAR, OffsetBytes} {
		if allOffsetsPlausible(buf, n, u) {
			return u, nil
		}
	}
	return 0, fmt.Errorf("%w: offsets fit neither WCHAR nor byte units", ErrBadStatusBlob)
}

func allOffsetsPlausible(buf []byte, n int, u OffsetUnit) bool {
	for i := range n {
		for f := range 2 {
			if _, ok := byteOffset(buf, n, binary.LittleEndian.Uint32(buf[i*EntrySize+4*f:]), u); !ok {
				return false
			}
		}
	}
	return true
}

// byteOffset converts a raw offset and checks it: inside [36N, len),
// even, and at the string area's start or just after a UTF-16 NUL.
func byteOffset(buf []byte, n int, raw uint32, u OffsetUnit) (int, bool) {
	off := uint64(raw)
	if u == OffsetWCHAR {
		off *= 2
	}
	start := uint64(EntrySize * n)
	if off < start || off >= uint64(len(buf)) || off%2 != 0 {
		return 0, false
	}
	if off > start && (off < start+2 || buf[off-1] != 0 || buf[off-2] != 0) {
		return 0, false
	}
	return int(off), true
}

// blobString reads the NUL-terminated UTF-16LE string at raw, which
// must pass byteOffset's checks.
func blobString(buf []byte, n int, raw uint32, u OffsetUnit) (string, error) {
	off, ok := byteOffset(buf, n, raw, u)
	if !ok {
		return "", fmt.Errorf("%w: string offset %d (%v) is outside [%d, %d), odd, or not after a NUL",
			ErrBadStatusBlob, raw, u, EntrySize*n, len(buf))
	}
	var w []uint16
	for p := off; p+1 < len(buf); p += 2 {
		c := binary.LittleEndian.Uint16(buf[p:])
		if c == 0 {
			return string(utf16.Decode(w)), nil
		}
		w = append(w, c)
	}
	return "", fmt.Errorf("%w: string at byte %d has no NUL", ErrBadStatusBlob, off)
}
