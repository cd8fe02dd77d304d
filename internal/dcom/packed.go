package dcom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/iisctl/iisctl/internal/cursor"
	"github.com/iisctl/iisctl/ndr"
)

// packedReader reads the packed little-endian structures of [MS-DCOM]
// 2.2.18-2.2.20 (OBJREF, DUALSTRINGARRAY, Context), which are byte
// buffers inside an MInterfacePointer rather than NDR: the module's one
// bounds-checked reader (internal/cursor). Errors are sticky; err wraps
// ndr.ErrMalformed.
type packedReader struct{ *cursor.Reader }

func newPacked(b []byte) *packedReader { return &packedReader{cursor.New(b)} }

func (p *packedReader) failf(format string, args ...any) {
	p.Fail(fmt.Errorf("dcom: at byte %d: %s: %w", p.Offset(), fmt.Sprintf(format, args...), ndr.ErrMalformed))
}

// err is the first failure, wrapping ndr.ErrMalformed.
func (p *packedReader) err() error {
	e := p.Err()
	if e == nil || errors.Is(e, ndr.ErrMalformed) {
		return e
	}
	return fmt.Errorf("dcom: %w: %w", e, ndr.ErrMalformed)
}

func (p *packedReader) take(n int) []byte { return p.Take(n) }
func (p *packedReader) u16() uint16       { return p.U16() }
func (p *packedReader) u32() uint32       { return p.U32() }
func (p *packedReader) u64() uint64       { return p.U64() }
func (p *packedReader) guid() ndr.GUID    { return p.GUID() }
func (p *packedReader) rest() []byte      { return p.Rest() }

// Packed writers: append little-endian values.
func put16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func put32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func put64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// wz appends s as UTF-16 code units plus a terminating NUL.
func wz(dst []uint16, s string) []uint16 {
	return append(append(dst, utf16.Encode([]rune(s))...), 0)
}
