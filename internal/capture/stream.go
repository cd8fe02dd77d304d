package capture

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
)

// PDU is one connection-oriented DCE/RPC PDU (one fragment) reassembled
// from a TCP stream.
type PDU struct {
	Stream     int  // TCP stream index, numbered like tshark's tcp.stream
	FromClient bool // sent by the side that opened the connection
	Src, Dst   netip.AddrPort
	Frame      int    // first (lowest) frame number holding bytes of this PDU, 1-based
	EndFrame   int    // frame at which the PDU became complete in order (where tshark shows it)
	Offset     int64  // byte offset of the PDU in its direction's stream
	Bytes      []byte // the whole PDU, frag_length bytes
}

// PType returns the PDU type (header byte 2).
func (p PDU) PType() uint8 { return p.Bytes[2] }

// CallID returns the call_id header field, honouring the data representation.
func (p PDU) CallID() uint32 { return order(p.Bytes).Uint32(p.Bytes[12:]) }

func order(hdr []byte) binary.ByteOrder {
	if hdr[4]&0x10 != 0 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// Direction describes one half of a TCP stream after reassembly.
type Direction struct {
	Src, Dst  netip.AddrPort
	Segments  int   // segments with payload
	Bytes     int64 // contiguous bytes reassembled from the start of the stream
	Gap       bool  // reassembly stopped at a hole in the sequence space
	GapAt     int64 // offset of the first missing byte when Gap
	GapFrame  int   // frame of the first segment beyond the hole when Gap
	DCERPC    bool  // the byte stream starts like a DCE/RPC CO PDU
	PDUs      int   // complete PDUs cut from this direction
	Trailing  int64 // bytes after the last complete PDU (partial PDU)
	BadHeader error // set when a PDU header in the middle of the stream is invalid
}

// Stream is one TCP connection.
type Stream struct {
	Index      int
	Client     Direction // from the connection opener (SYN sender, or guessed)
	Server     Direction
	ClientSure bool // the client side was identified from the handshake
}

// DCERPC reports whether either direction carries DCE/RPC.
func (s *Stream) DCERPC() bool { return s.Client.DCERPC || s.Server.DCERPC }

// File is a parsed capture.
type File struct {
	Packets  int      // frames in the file
	Segments int      // frames that decoded as TCP
	Streams  []Stream // all TCP streams, by Index
	PDUs     []PDU    // DCE/RPC PDUs by Stream, then by EndFrame
}

type seg struct {
	rel   int64 // offset relative to the direction's base
	frame int
	data  []byte
}

type half struct {
	src, dst  netip.AddrPort
	syn       bool
	isn       uint32
	haveFirst bool
	first     uint32 // sequence number of the first segment seen
	segs      []seg
}

type conn struct {
	index  int
	a, b   *half // a sent the first packet seen
	synner *half
}

// Parse decodes a pcap or pcapng image and reassembles its TCP streams.
func Parse(data []byte) (*File, error) {
	pkts, err := ReadPackets(data)
	if err != nil {
		return nil, err
	}
	f := &File{Packets: len(pkts)}
	type key struct{ src, dst netip.AddrPort }
	conns := map[key]*conn{}
	var order []*conn
	for _, p := range pkts {
		s, ok := DecodeTCP(p)
		if !ok {
			continue
		}
		f.Segments++
		c := conns[key{s.Src, s.Dst}]
		if c == nil {
			c = &conn{index: len(order), a: &half{src: s.Src, dst: s.Dst}, b: &half{src: s.Dst, dst: s.Src}}
			conns[key{s.Src, s.Dst}] = c
			conns[key{s.Dst, s.Src}] = c
			order = append(order, c)
		}
		h := c.a
		if s.Src != c.a.src || s.Dst != c.a.dst {
			h = c.b
		}
		if s.Flags&FlagSYN != 0 {
			if !h.syn {
				h.syn, h.isn = true, s.Seq
			}
			if s.Flags&FlagACK == 0 && c.synner == nil {
				c.synner = h
			}
		}
		seq := s.Seq
		if s.Flags&FlagSYN != 0 {
			seq++
		}
		if len(s.Payload) == 0 {
			continue
		}
		if !h.haveFirst {
			h.haveFirst, h.first = true, seq
		}
		h.segs = append(h.segs, seg{rel: int64(int32(seq - h.first)), frame: s.Frame, data: s.Payload})
	}
	for _, c := range order {
		f.addConn(c)
	}
	slices.SortStableFunc(f.PDUs, func(x, y PDU) int {
		return cmp.Or(cmp.Compare(x.Stream, y.Stream), cmp.Compare(x.EndFrame, y.EndFrame), cmp.Compare(x.Offset, y.Offset))
	})
	return f, nil
}

func (f *File) addConn(c *conn) {
	st := Stream{Index: c.index}
	client, server := c.a, c.b
	switch {
	case c.synner != nil:
		st.ClientSure = true
		if c.synner == c.b {
			client, server = c.b, c.a
		}
	case c.a.syn && !c.b.syn:
		// Only the SYN/ACK was seen: its sender is the server.
		client, server = c.b, c.a
	case c.b.syn && !c.a.syn:
	default:
		// No handshake: a side whose first payload is a DCE/RPC server PDU
		// (bind_ack, bind_nak, alter_context_resp, response, fault) is the
		// server; otherwise the side with the higher port is the client.
		switch {
		case serverPDU(c.a):
			client, server = c.b, c.a
		case serverPDU(c.b):
		case c.a.src.Port() < c.a.dst.Port():
			client, server = c.b, c.a
		}
	}
	var pdus []PDU
	st.Client, pdus = reassemble(c.index, true, client)
	f.PDUs = append(f.PDUs, pdus...)
	st.Server, pdus = reassemble(c.index, false, server)
	f.PDUs = append(f.PDUs, pdus...)
	f.Streams = append(f.Streams, st)
}

func serverPDU(h *half) bool {
	if len(h.segs) == 0 {
		return false
	}
	first := slices.MinFunc(h.segs, func(x, y seg) int { return cmp.Compare(x.rel, y.rel) })
	if !isDCERPC(first.data) {
		return false
	}
	switch first.data[2] {
	case 2, 3, 12, 13, 15:
		return true
	}
	return false
}

// isDCERPC reports whether b starts like a connection-oriented DCE/RPC PDU.
func isDCERPC(b []byte) bool {
	return len(b) >= 3 && b[0] == 5 && b[1] == 0 && b[2] <= 20
}

// chunk records which frame supplied the bytes of the stream starting at off.
type chunk struct {
	off   int64
	frame int // frame that supplied these bytes
	maxFr int // highest frame number supplying any byte up to and including this chunk
}

func reassemble(stream int, fromClient bool, h *half) (Direction, []PDU) {
	d := Direction{Src: h.src, Dst: h.dst, Segments: len(h.segs)}
	if len(h.segs) == 0 {
		return d, nil
	}
	// The stream starts at ISN+1 when the SYN was seen, else at the lowest
	// sequence number seen.
	base := slices.MinFunc(h.segs, func(x, y seg) int { return cmp.Compare(x.rel, y.rel) }).rel
	if h.syn {
		base = int64(int32(h.isn + 1 - h.first))
	}
	segs := slices.Clone(h.segs)
	slices.SortStableFunc(segs, func(x, y seg) int { return cmp.Compare(x.rel, y.rel) })

	var (
		buf    []byte
		chunks []chunk
		maxFr  int
	)
	for _, s := range segs {
		start := s.rel - base
		end := start + int64(len(s.data))
		cur := int64(len(buf))
		if end <= cur {
			continue // duplicate or retransmission of bytes already held
		}
		if start > cur {
			d.Gap, d.GapAt, d.GapFrame = true, cur, s.frame
			break
		}
		maxFr = max(maxFr, s.frame)
		chunks = append(chunks, chunk{off: cur, frame: s.frame, maxFr: maxFr})
		buf = append(buf, s.data[cur-start:]...)
	}
	d.Bytes = int64(len(buf))
	if !isDCERPC(buf) {
		return d, nil
	}
	d.DCERPC = true

	var pdus []PDU
	off := 0
	for len(buf)-off >= 16 {
		hdr := buf[off:]
		if !isDCERPC(hdr) {
			d.BadHeader = fmt.Errorf("offset %d: not a DCE/RPC PDU header (% x)", off, hdr[:4])
			break
		}
		n := int(order(hdr).Uint16(hdr[8:]))
		if n < 16 {
			d.BadHeader = fmt.Errorf("offset %d: frag_length %d < 16", off, n)
			break
		}
		if n > len(hdr) {
			break
		}
		first, last := frames(chunks, int64(off), int64(off+n))
		pdus = append(pdus, PDU{
			Stream:     stream,
			FromClient: fromClient,
			Src:        h.src,
			Dst:        h.dst,
			Frame:      first,
			EndFrame:   last,
			Offset:     int64(off),
			Bytes:      hdr[:n:n],
		})
		off += n
	}
	d.PDUs = len(pdus)
	d.Trailing = int64(len(buf) - off)
	return d, pdus
}

// frames returns the lowest frame holding bytes of [from, to) and the frame
// at which the stream up to byte to-1 was complete.
func frames(chunks []chunk, from, to int64) (first, end int) {
	// Index of the chunk holding byte from, and of the one holding to-1.
	i, _ := slices.BinarySearchFunc(chunks, from, func(c chunk, off int64) int { return cmp.Compare(c.off, off) })
	if i == len(chunks) || chunks[i].off > from {
		i--
	}
	j, _ := slices.BinarySearchFunc(chunks, to-1, func(c chunk, off int64) int { return cmp.Compare(c.off, off) })
	if j == len(chunks) || chunks[j].off > to-1 {
		j--
	}
	first = chunks[i].frame
	for _, c := range chunks[i+1 : j+1] {
		first = min(first, c.frame)
	}
	return first, chunks[j].maxFr
}
