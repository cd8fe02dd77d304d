package ndr

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf16"
)

// Unmarshaler is a wire type that reads itself.
type Unmarshaler interface{ UnmarshalNDR(r *Reader) }

// MaxCount is the largest conformance or variance value accepted
// ([MS-RPCE] 3.1.1.5.3.2.1.1).
const MaxCount = math.MaxInt32

// Reader decodes an NDR stream. Errors are sticky: after the first
// failure every read returns a zero value and Err reports the failure.
type Reader struct {
	buf      []byte
	off      int
	syntax   Syntax
	deferred []func(*Reader)
	err      error
}

// NewReader returns a Reader over stub in syntax s.
func NewReader(stub []byte, s Syntax) *Reader { return &Reader{buf: stub, syntax: s} }

// Syntax is the transfer syntax being read.
func (r *Reader) Syntax() Syntax { return r.syntax }

// Is64 reports whether r reads NDR64.
func (r *Reader) Is64() bool { return r.syntax == NDR64 }

// PtrAlign is the alignment of pointers and counts: 4 in NDR20, 8 in NDR64.
func (r *Reader) PtrAlign() int {
	if r.Is64() {
		return 8
	}
	return 4
}

// Err is the first failure, an *Error wrapping ErrMalformed.
func (r *Reader) Err() error { return r.err }

// Offset is the read position from the stub start.
func (r *Reader) Offset() int { return r.off }

// Remaining is the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

// Rest returns the unread bytes without consuming them.
func (r *Reader) Rest() []byte { return r.buf[r.off:] }

// Failf records a decoding failure at the current offset.
func (r *Reader) Failf(format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Offset: r.off, Msg: fmt.Sprintf(format, args...)}
	}
}

// OK reports whether no failure has been recorded.
func (r *Reader) OK() bool { return r.err == nil }

// Align skips to a multiple of n from the stub start. Gap bytes are ignored.
func (r *Reader) Align(n int) {
	if r.err != nil {
		return
	}
	p := (r.off + n - 1) &^ (n - 1)
	if p > len(r.buf) {
		r.Failf("alignment to %d runs past the end", n)
		return
	}
	r.off = p
}

// Tail skips NDR64 trailing structure padding.
func (r *Reader) Tail(n int) {
	if r.Is64() {
		r.Align(n)
	}
}

// Raw consumes n bytes and returns them without copying; nil on failure.
func (r *Reader) Raw(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.Remaining() {
		r.Failf("need %d bytes, %d left", n, r.Remaining())
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// Copy fills dst from the stream.
func (r *Reader) Copy(dst []byte) {
	if b := r.Raw(len(dst)); b != nil {
		copy(dst, b)
	}
}

// Uint8 reads a byte.
func (r *Reader) Uint8() uint8 {
	if b := r.Raw(1); b != nil {
		return b[0]
	}
	return 0
}

// Uint16 reads an aligned uint16.
func (r *Reader) Uint16() uint16 {
	r.Align(2)
	if b := r.Raw(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

// Uint32 reads an aligned uint32.
func (r *Reader) Uint32() uint32 {
	r.Align(4)
	if b := r.Raw(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// Uint64 reads an aligned uint64.
func (r *Reader) Uint64() uint64 {
	r.Align(8)
	if b := r.Raw(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// Int32 reads a signed 32-bit value.
func (r *Reader) Int32() int32 { return int32(r.Uint32()) }

// Enum reads an enum (2 bytes in NDR20, 4 in NDR64).
func (r *Reader) Enum() uint32 {
	if r.Is64() {
		return r.Uint32()
	}
	return uint32(r.Uint16())
}

// Count reads a conformance or variance value and checks it against MaxCount.
func (r *Reader) Count() int {
	var v uint64
	if r.Is64() {
		v = r.Uint64()
	} else {
		v = uint64(r.Uint32())
	}
	if v > MaxCount {
		r.Failf("count %d exceeds 2^31-1", v)
		return 0
	}
	return int(v)
}

// CheckSize fails unless n elements of elemSize bytes can still be in the
// stream; call it before allocating n elements.
func (r *Reader) CheckSize(n, elemSize int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || (elemSize > 0 && n > r.Remaining()/elemSize) {
		r.Failf("%d elements of %d bytes exceed the %d bytes left", n, elemSize, r.Remaining())
		return false
	}
	return true
}

// Conformance reads the conformance of an array whose correlated count
// (its size_is) is want, and checks it before the caller allocates: it
// must equal want ([MS-RPCE] 3.1.1.5.3.2.1) and n elements of elemSize
// bytes must fit in what is left. what names the array in the error.
func (r *Reader) Conformance(want, elemSize int, what string) (n int, ok bool) {
	n = r.Count()
	if r.OK() && n != want {
		r.Failf("%s: size_is %d but conformance %d", what, want, n)
		return 0, false
	}
	return n, r.CheckSize(n, elemSize)
}

// CheckNull enforces [MS-RPCE] 3.1.1.5.3.3.1.2: a NULL pointer whose
// correlated count is non-zero is invalid.
func (r *Reader) CheckNull(present bool, count int) {
	if !present && count != 0 {
		r.Failf("NULL pointer with non-zero correlated count %d", count)
	}
}

// Varying reads the offset and actual count of a varying array whose
// maximum is max, and checks offset+actual <= max (3.1.1.5.3.2.1.12).
func (r *Reader) Varying(max int) (offset, actual int) {
	offset, actual = r.Count(), r.Count()
	if r.err == nil && offset+actual > max {
		r.Failf("varying array offset %d + actual %d exceed maximum %d", offset, actual, max)
		return 0, 0
	}
	return offset, actual
}

func (r *Reader) referent() uint64 {
	if r.Is64() {
		return r.Uint64()
	}
	return uint64(r.Uint32())
}

// Pointer reads a unique or full pointer; a non-NULL pointer's pointee
// is deferred until the next Flush. It reports whether it was non-NULL.
func (r *Reader) Pointer(pointee func(*Reader)) bool {
	if r.referent() == 0 || r.err != nil {
		return false
	}
	r.deferred = append(r.deferred, pointee)
	return true
}

// RefPointer reads an embedded ref pointer, which must not be NULL.
func (r *Reader) RefPointer(pointee func(*Reader)) {
	if !r.Pointer(pointee) {
		r.Failf("NULL embedded ref pointer")
	}
}

// Flush reads the deferred pointees depth-first.
func (r *Reader) Flush() {
	for len(r.deferred) > 0 && r.err == nil {
		q := r.deferred
		r.deferred = nil
		for _, f := range q {
			if r.err != nil {
				return
			}
			f(r)
			r.Flush()
		}
	}
	r.deferred = nil
}

// Unmarshal reads a top-level parameter and its deferred pointees.
func (r *Reader) Unmarshal(u Unmarshaler) {
	u.UnmarshalNDR(r)
	r.Flush()
}

// WString reads a [string] wchar_t array and returns it without its NUL.
func (r *Reader) WString() string {
	max := r.Count()
	_, n := r.Varying(max)
	if !r.CheckSize(n, 2) {
		return ""
	}
	if n == 0 {
		r.Failf("[string] with no terminating NUL")
		return ""
	}
	u := r.wchars(n)
	if r.err != nil {
		return ""
	}
	if u[n-1] != 0 {
		r.Failf("[string] not terminated by NUL")
		return ""
	}
	return string(utf16.Decode(u[:n-1]))
}

// WChars reads n UTF-16LE code units with no counts.
func (r *Reader) WChars(n int) string {
	if !r.CheckSize(n, 2) {
		return ""
	}
	return string(utf16.Decode(r.wchars(n)))
}

func (r *Reader) wchars(n int) []uint16 {
	r.Align(2)
	b := r.Raw(2 * n)
	if b == nil {
		return nil
	}
	u := make([]uint16, n)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return u
}

// CString reads a [string] char array and returns it without its NUL.
// (It is not named String, which would make a Reader a fmt.Stringer that
// consumes the stream when printed.)
func (r *Reader) CString() string {
	max := r.Count()
	_, n := r.Varying(max)
	b := r.Raw(n)
	if r.err != nil {
		return ""
	}
	if n == 0 || b[n-1] != 0 {
		r.Failf("[string] not terminated by NUL")
		return ""
	}
	return string(b[:n-1])
}

// ConformantBytes reads a conformant byte array into a new slice.
func (r *Reader) ConformantBytes() []byte {
	n := r.Count()
	b := r.Raw(n)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
