package ndr

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf16"
)

// Marshaler is a wire type that writes itself.
type Marshaler interface{ MarshalNDR(w *Writer) }

// firstReferent is where MIDL-generated stubs start referent IDs; they
// then step by 4.
const firstReferent = 0x00020000

// Writer builds an NDR stream. Errors are sticky: after the first one
// (Fail, or an out-of-range count or enum), every write, Raw and Uint8
// included, is ignored, deferred pointees are dropped, and Err reports
// the error. Bytes then holds what was written before it.
type Writer struct {
	buf      []byte
	syntax   Syntax
	deferred []func(*Writer)
	nextRef  uint32
	err      error
}

// NewWriter returns a Writer for syntax s.
func NewWriter(s Syntax) *Writer {
	return &Writer{syntax: s, nextRef: firstReferent, buf: make([]byte, 0, 256)}
}

// Reset empties w for reuse with syntax s.
func (w *Writer) Reset(s Syntax) {
	w.buf, w.syntax, w.deferred, w.nextRef, w.err = w.buf[:0], s, w.deferred[:0], firstReferent, nil
}

// Syntax is the transfer syntax being written.
func (w *Writer) Syntax() Syntax { return w.syntax }

// Is64 reports whether w writes NDR64.
func (w *Writer) Is64() bool { return w.syntax == NDR64 }

// PtrAlign is the alignment of pointers and counts, and so of structures
// that hold them: 4 in NDR20, 8 in NDR64.
func (w *Writer) PtrAlign() int {
	if w.Is64() {
		return 8
	}
	return 4
}

// Bytes returns the stream written so far.
func (w *Writer) Bytes() []byte { return w.buf }

// Len is the number of bytes written.
func (w *Writer) Len() int { return len(w.buf) }

// Err is the first error recorded.
func (w *Writer) Err() error { return w.err }

// Fail records err unless an error is already recorded.
func (w *Writer) Fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Align pads with zeros to a multiple of n (a power of two) from the stub start.
func (w *Writer) Align(n int) {
	if w.err != nil {
		return
	}
	for len(w.buf)&(n-1) != 0 {
		w.buf = append(w.buf, 0)
	}
}

// Tail pads to n in NDR64 only: the trailing padding of a structure.
func (w *Writer) Tail(n int) {
	if w.Is64() {
		w.Align(n)
	}
}

// Raw appends b as is.
func (w *Writer) Raw(b []byte) {
	if w.err == nil {
		w.buf = append(w.buf, b...)
	}
}

// Uint8 writes a byte.
func (w *Writer) Uint8(v uint8) {
	if w.err == nil {
		w.buf = append(w.buf, v)
	}
}

// Uint16 writes a 2-aligned little-endian uint16.
func (w *Writer) Uint16(v uint16) {
	if w.err == nil {
		w.Align(2)
		w.buf = binary.LittleEndian.AppendUint16(w.buf, v)
	}
}

// Uint32 writes a 4-aligned little-endian uint32.
func (w *Writer) Uint32(v uint32) {
	if w.err == nil {
		w.Align(4)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, v)
	}
}

// Uint64 writes an 8-aligned little-endian uint64.
func (w *Writer) Uint64(v uint64) {
	if w.err == nil {
		w.Align(8)
		w.buf = binary.LittleEndian.AppendUint64(w.buf, v)
	}
}

// Int32 writes a signed 32-bit value.
func (w *Writer) Int32(v int32) { w.Uint32(uint32(v)) }

// Enum writes an enum: 2 bytes in NDR20, 4 in NDR64 ([MS-RPCE] 2.2.5.2.1).
func (w *Writer) Enum(v uint32) {
	if w.Is64() {
		w.Uint32(v)
		return
	}
	if v > math.MaxUint16 {
		w.Fail(fmt.Errorf("ndr: enum value %d does not fit NDR20", v))
	}
	w.Uint16(uint16(v))
}

// Count writes a conformance or variance value: uint32 in NDR20, uint64 in NDR64.
func (w *Writer) Count(n int) {
	if n < 0 || n > math.MaxInt32 {
		w.Fail(fmt.Errorf("ndr: count %d out of range", n))
	}
	if w.Is64() {
		w.Uint64(uint64(n))
		return
	}
	w.Uint32(uint32(n))
}

// referent writes the next referent ID.
func (w *Writer) referent() {
	id := w.nextRef
	w.nextRef += 4
	if w.Is64() {
		w.Uint64(uint64(id))
		return
	}
	w.Uint32(id)
}

// Pointer writes a unique or full pointer: 0 when absent, otherwise a
// referent ID, with pointee deferred until the next Flush.
func (w *Writer) Pointer(present bool, pointee func(*Writer)) {
	if !present {
		if w.Is64() {
			w.Uint64(0)
		} else {
			w.Uint32(0)
		}
		return
	}
	w.referent()
	if w.err == nil {
		w.deferred = append(w.deferred, pointee)
	}
}

// RefPointer writes an embedded ref pointer: a non-zero placeholder and a
// deferred pointee. A top-level ref pointer has no wire form: marshal the
// pointee directly.
func (w *Writer) RefPointer(pointee func(*Writer)) { w.Pointer(true, pointee) }

// Flush writes the deferred pointees depth-first: each pointee, then the
// pointees it deferred, in order.
func (w *Writer) Flush() {
	defer func() {
		if w.err != nil {
			w.deferred = w.deferred[:0]
		}
	}()
	for len(w.deferred) > 0 && w.err == nil {
		q := w.deferred
		w.deferred = nil
		for _, f := range q {
			f(w)
			w.Flush()
		}
	}
}

// Marshal writes a top-level parameter and its deferred pointees.
func (w *Writer) Marshal(m Marshaler) {
	m.MarshalNDR(w)
	w.Flush()
}

// WString writes a [string] wchar_t array, conformant and varying, with
// the terminating NUL counted ([C706] 14.3.4).
func (w *Writer) WString(s string) {
	u := utf16.Encode([]rune(s))
	n := len(u) + 1
	w.Count(n)
	w.Count(0)
	w.Count(n)
	w.utf16(u)
	w.Uint16(0)
}

// WChars writes UTF-16LE code units with no counts.
func (w *Writer) WChars(s string) { w.utf16(utf16.Encode([]rune(s))) }

func (w *Writer) utf16(u []uint16) {
	if w.err != nil {
		return
	}
	w.Align(2)
	for _, c := range u {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, c)
	}
}

// CString writes a [string] char array with its NUL.
func (w *Writer) CString(s string) {
	n := len(s) + 1
	w.Count(n)
	w.Count(0)
	w.Count(n)
	w.Raw([]byte(s))
	w.Uint8(0)
}

// ConformantBytes writes a conformant byte array: its count, then the bytes.
func (w *Writer) ConformantBytes(b []byte) {
	w.Count(len(b))
	w.Raw(b)
}
