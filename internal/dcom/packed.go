package dcom

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/iisctl/iisctl/ndr"
)

// packedReader reads the packed little-endian structures of [MS-DCOM]
// 2.2.18-2.2.20 (OBJREF, DUALSTRINGARRAY, Context), which are byte
// buffers inside an MInterfacePointer rather than NDR. Errors are sticky.
type packedReader struct {
	b   []byte
	off int
	err error
}

func (p *packedReader) failf(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("dcom: at byte %d: %s: %w", p.off, fmt.Sprintf(format, args...), ndr.ErrMalformed)
	}
}

func (p *packedReader) take(n int) []byte {
	if p.err != nil {
		return nil
	}
	if n < 0 || n > len(p.b)-p.off {
		p.failf("need %d bytes, %d left", n, len(p.b)-p.off)
		return nil
	}
	s := p.b[p.off : p.off+n]
	p.off += n
	return s
}

func (p *packedReader) u16() uint16 {
	if s := p.take(2); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (p *packedReader) u32() uint32 {
	if s := p.take(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (p *packedReader) u64() uint64 {
	if s := p.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (p *packedReader) guid() (g ndr.GUID) {
	if s := p.take(16); s != nil {
		copy(g[:], s)
	}
	return g
}

func (p *packedReader) rest() []byte { return p.take(len(p.b) - p.off) }

// Packed writers: append little-endian values.
func put16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func put32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func put64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// wz appends s as UTF-16 code units plus a terminating NUL.
func wz(dst []uint16, s string) []uint16 {
	return append(append(dst, utf16.Encode([]rune(s))...), 0)
}
