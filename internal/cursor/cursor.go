// Package cursor is the one bounds-checked reader of fixed-layout
// little-endian (or, for DCE/RPC's big-endian drep, big-endian) wire
// data: PDU bodies ([MS-RPCE] 2.2.2, C706 12.6), the packed structures of
// [MS-DCOM] 2.2.18-2.2.20, NTLM's AV_PAIR lists ([MS-NLMP] 2.2.2.1).
//
// A Reader never panics and never allocates: reads past the end set a
// sticky error and return zero values, and byte slices alias the input.
// Decoders read everything, then check Err once.
package cursor

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort is wrapped by the error of a read past the end.
var ErrShort = errors.New("cursor: read past the end")

// Reader reads b from the start.
type Reader struct {
	b   []byte
	off int
	o   binary.ByteOrder
	err error
}

// New reads b little-endian.
func New(b []byte) *Reader { return &Reader{b: b, o: binary.LittleEndian} }

// NewOrder reads b in byte order o.
func NewOrder(b []byte, o binary.ByteOrder) *Reader { return &Reader{b: b, o: o} }

// Err is the first failure: a read past the end, or what Fail recorded.
func (r *Reader) Err() error { return r.err }

// Fail records err unless a failure is recorded already.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Failf records a formatted failure at the current offset.
func (r *Reader) Failf(format string, args ...any) {
	r.Fail(fmt.Errorf("at byte %d: %s", r.off, fmt.Sprintf(format, args...)))
}

// Order is the byte order being read.
func (r *Reader) Order() binary.ByteOrder { return r.o }

// Offset is the number of bytes consumed.
func (r *Reader) Offset() int { return r.off }

// Remaining is the number of bytes left.
func (r *Reader) Remaining() int { return len(r.b) - r.off }

// Take returns the next n bytes (aliasing the input, capacity capped), or
// nil after a failure.
func (r *Reader) Take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("%w: %d bytes wanted at byte %d, %d left", ErrShort, n, r.off, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// U8 reads a byte.
func (r *Reader) U8() uint8 {
	if s := r.Take(1); s != nil {
		return s[0]
	}
	return 0
}

// U16 reads a uint16.
func (r *Reader) U16() uint16 {
	if s := r.Take(2); s != nil {
		return r.o.Uint16(s)
	}
	return 0
}

// U32 reads a uint32.
func (r *Reader) U32() uint32 {
	if s := r.Take(4); s != nil {
		return r.o.Uint32(s)
	}
	return 0
}

// U64 reads a uint64.
func (r *Reader) U64() uint64 {
	if s := r.Take(8); s != nil {
		return r.o.Uint64(s)
	}
	return 0
}

// GUID reads a UUID in its little-endian wire layout; in big-endian
// order its first three fields are swapped into that layout.
func (r *Reader) GUID() (g [16]byte) {
	s := r.Take(16)
	if s == nil {
		return g
	}
	copy(g[:], s)
	if r.o == binary.BigEndian {
		g[0], g[1], g[2], g[3] = g[3], g[2], g[1], g[0]
		g[4], g[5] = g[5], g[4]
		g[6], g[7] = g[7], g[6]
	}
	return g
}

// Align skips to a multiple of n from the start of the input.
func (r *Reader) Align(n int) {
	if m := r.off % n; m != 0 {
		r.Take(n - m)
	}
}

// Rest returns everything left.
func (r *Reader) Rest() []byte { return r.Take(len(r.b) - r.off) }
