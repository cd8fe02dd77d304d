package rpc

import (
	"encoding/binary"

	"github.com/iisctl/iisctl/ndr"
)

// cursor reads a PDU body in the sender's byte order. Reads past the end
// set a sticky failure and return zero values; it never panics and never
// allocates: byte slices alias the input.
type cursor struct {
	b   []byte
	off int
	o   binary.ByteOrder
	bad bool
}

func newCursor(b []byte, o binary.ByteOrder) *cursor { return &cursor{b: b, o: o} }

func (c *cursor) take(n int) []byte {
	if c.bad || n < 0 || n > len(c.b)-c.off {
		c.bad = true
		return nil
	}
	s := c.b[c.off : c.off+n : c.off+n]
	c.off += n
	return s
}

func (c *cursor) u8() uint8 {
	if s := c.take(1); s != nil {
		return s[0]
	}
	return 0
}

func (c *cursor) u16() uint16 {
	if s := c.take(2); s != nil {
		return c.o.Uint16(s)
	}
	return 0
}

func (c *cursor) u32() uint32 {
	if s := c.take(4); s != nil {
		return c.o.Uint32(s)
	}
	return 0
}

// guid reads a UUID; in big-endian drep its first three fields are swapped
// into the little-endian wire layout ndr.GUID uses.
func (c *cursor) guid() ndr.GUID {
	var g ndr.GUID
	s := c.take(16)
	if s == nil {
		return g
	}
	copy(g[:], s)
	if c.o == binary.BigEndian {
		g[0], g[1], g[2], g[3] = g[3], g[2], g[1], g[0]
		g[4], g[5] = g[5], g[4]
		g[6], g[7] = g[7], g[6]
	}
	return g
}

// align skips to a multiple of n from the start of the buffer.
func (c *cursor) align(n int) {
	if r := c.off % n; r != 0 {
		c.take(n - r)
	}
}

func (c *cursor) rest() []byte { return c.take(len(c.b) - c.off) }

func (c *cursor) remaining() int { return len(c.b) - c.off }

func appendGUID(b []byte, g ndr.GUID) []byte { return append(b, g[:]...) }

func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }

func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func padTo(b []byte, start, n int) []byte {
	for (len(b)-start)%n != 0 {
		b = append(b, 0)
	}
	return b
}
