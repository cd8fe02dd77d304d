package ntlm

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// signature is the 8-byte NTLMSSP message signature (2.2.1).
var signature = [8]byte{'N', 'T', 'L', 'M', 'S', 'S', 'P', 0}

// Message types (2.2.1).
const (
	typeNegotiate    uint32 = 1
	typeChallenge    uint32 = 2
	typeAuthenticate uint32 = 3
)

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// checkHeader validates the signature, the message type and a minimum
// length.
func checkHeader(b []byte, typ uint32, minLen int) error {
	if len(b) < minLen {
		return malformed("type %d message of %d bytes, want at least %d", typ, len(b), minLen)
	}
	if [8]byte(b[:8]) != signature {
		return malformed("bad NTLMSSP signature")
	}
	if got := binary.LittleEndian.Uint32(b[8:12]); got != typ {
		return malformed("message type %d, want %d", got, typ)
	}
	return nil
}

// readField decodes the {Len u16, MaxLen u16, Offset u32} descriptor at
// b[at:] and returns a copy of the bytes it designates. The range is
// checked against the message, so allocation is bounded by len(b).
// An empty field is returned as nil whatever its offset.
func readField(b []byte, at int) ([]byte, error) {
	n := int(binary.LittleEndian.Uint16(b[at:]))
	off := int64(binary.LittleEndian.Uint32(b[at+4:]))
	if n == 0 {
		return nil, nil
	}
	if off+int64(n) > int64(len(b)) {
		return nil, malformed("field at %d: offset %d + length %d beyond %d bytes", at, off, n, len(b))
	}
	return append([]byte(nil), b[off:off+int64(n)]...), nil
}

// fieldOffset returns the Offset of a non-empty field descriptor, or
// len(b) for an empty one (used to find where the payload starts).
func fieldOffset(b []byte, at int) int {
	if binary.LittleEndian.Uint16(b[at:]) == 0 {
		return len(b)
	}
	off := binary.LittleEndian.Uint32(b[at+4:])
	if int64(off) > int64(len(b)) {
		return len(b)
	}
	return int(off)
}

// builder lays out a message: a fixed header of known size followed by
// a payload that fields append to.
type builder struct {
	buf []byte
}

func newBuilder(typ uint32, headerLen int) *builder {
	b := &builder{buf: make([]byte, headerLen, headerLen+128)}
	copy(b.buf, signature[:])
	binary.LittleEndian.PutUint32(b.buf[8:], typ)
	return b
}

// field appends data to the payload and writes its descriptor at b.buf[at:].
// Callers guarantee len(data) <= 0xFFFF.
func (b *builder) field(at int, data []byte) {
	binary.LittleEndian.PutUint16(b.buf[at:], uint16(len(data)))
	binary.LittleEndian.PutUint16(b.buf[at+2:], uint16(len(data)))
	binary.LittleEndian.PutUint32(b.buf[at+4:], uint32(len(b.buf)))
	b.buf = append(b.buf, data...)
}

func (b *builder) u32(at int, v uint32) { binary.LittleEndian.PutUint32(b.buf[at:], v) }

// encodeString encodes s as UTF-16LE when unicode is set, else as OEM,
// approximated by Latin-1 ('?' for runes beyond U+00FF).
func encodeString(s string, unicode bool) []byte {
	if unicode {
		return utf16le(s)
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

// utf16le encodes s as UTF-16LE without terminator.
func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(out[2*i:], c)
	}
	return out
}

// decodeString is the inverse of encodeString. OEM bytes are read as
// Latin-1 so that every byte maps to one rune.
func decodeString(b []byte, unicode bool) (string, error) {
	if !unicode {
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	if len(b)%2 != 0 {
		return "", malformed("odd-length UTF-16 string")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// Version is the VERSION structure (2.2.2.10).
type Version struct {
	Major, Minor uint8
	Build        uint16
	// Revision is NTLMRevisionCurrent; 15 (NTLMSSP_REVISION_W2K3) today.
	Revision uint8
}

// DefaultVersion is sent when a config leaves Version nil: Windows 10.0
// build 17763, NTLM revision 15.
var DefaultVersion = Version{Major: 10, Minor: 0, Build: 17763, Revision: 15}

func (v Version) put(b []byte) {
	b[0], b[1] = v.Major, v.Minor
	binary.LittleEndian.PutUint16(b[2:], v.Build)
	b[7] = v.Revision
}

func parseVersion(b []byte) *Version {
	return &Version{Major: b[0], Minor: b[1], Build: binary.LittleEndian.Uint16(b[2:]), Revision: b[7]}
}

// String renders major.minor.build (revision).
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d (rev %d)", v.Major, v.Minor, v.Build, v.Revision)
}
