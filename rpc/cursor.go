package rpc

import (
	"encoding/binary"
	"errors"

	wire "github.com/iisctl/iisctl/internal/cursor"
	"github.com/iisctl/iisctl/ndr"
)

// cursor reads a PDU body in the sender's byte order: the module's one
// bounds-checked reader (internal/cursor) under the short names the PDU
// decoders use. Reads past the end set a sticky failure and return zero
// values; it never panics and never allocates: byte slices alias the
// input.
type cursor struct{ r *wire.Reader }

// errBadBody marks a body a decoder found inconsistent (counts beyond
// the bytes present).
var errBadBody = errors.New("rpc: inconsistent PDU body")

func newCursor(b []byte, o binary.ByteOrder) *cursor { return &cursor{wire.NewOrder(b, o)} }

func (c *cursor) take(n int) []byte { return c.r.Take(n) }
func (c *cursor) u8() uint8         { return c.r.U8() }
func (c *cursor) u16() uint16       { return c.r.U16() }
func (c *cursor) u32() uint32       { return c.r.U32() }
func (c *cursor) guid() ndr.GUID    { return c.r.GUID() }

// align skips to a multiple of n from the start of the buffer and returns
// the bytes skipped.
func (c *cursor) align(n int) []byte { return c.r.Take((n - c.r.Offset()%n) % n) }

func (c *cursor) rest() []byte   { return c.r.Rest() }
func (c *cursor) remaining() int { return c.r.Remaining() }

// fail marks the body bad; failed reports whether anything did.
func (c *cursor) fail()        { c.r.Fail(errBadBody) }
func (c *cursor) failed() bool { return c.r.Err() != nil }

func appendGUID(b []byte, g ndr.GUID) []byte { return append(b, g[:]...) }

func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }

func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func padTo(b []byte, start, n int) []byte {
	for (len(b)-start)%n != 0 {
		b = append(b, 0)
	}
	return b
}
