package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Link-layer header types (https://www.tcpdump.org/linktypes.html).
const (
	LinkNull     = 0
	LinkEthernet = 1
	LinkRaw      = 101
	LinkLinuxSLL = 113
	LinkLoop     = 108
	LinkIPv4     = 228
	LinkIPv6     = 229
	LinkSLL2     = 276
)

// Packet is one captured frame.
type Packet struct {
	Frame    int    // 1-based frame number, as in tshark
	LinkType uint32 // link-layer header type of the interface
	Data     []byte // captured bytes (may be shorter than OrigLen)
	OrigLen  int    // length of the frame on the wire
}

var errTruncated = errors.New("capture: truncated file")

// ReadPackets decodes a pcap or pcapng file image into its frames.
// The returned Data slices alias data.
func ReadPackets(data []byte) ([]Packet, error) {
	if len(data) < 4 {
		return nil, errors.New("capture: file too short")
	}
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return readPcap(data)
	case 0x0a0d0d0a:
		return readPcapng(data)
	}
	return nil, fmt.Errorf("capture: unknown file magic % x", data[:4])
}

func readPcap(data []byte) ([]Packet, error) {
	if len(data) < 24 {
		return nil, errTruncated
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch binary.LittleEndian.Uint32(data) {
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	}
	link := bo.Uint32(data[20:]) & 0x0fffffff
	var pkts []Packet
	for off := 24; off < len(data); {
		if len(data)-off < 16 {
			return pkts, errTruncated
		}
		incl := bo.Uint32(data[off+8:])
		orig := bo.Uint32(data[off+12:])
		off += 16
		if uint64(incl) > uint64(len(data)-off) {
			return pkts, fmt.Errorf("capture: frame %d: record length %d exceeds file: %w", len(pkts)+1, incl, errTruncated)
		}
		pkts = append(pkts, Packet{
			Frame:    len(pkts) + 1,
			LinkType: link,
			Data:     data[off : off+int(incl) : off+int(incl)],
			OrigLen:  int(min(orig, 1<<30)),
		})
		off += int(incl)
	}
	return pkts, nil
}

func readPcapng(data []byte) ([]Packet, error) {
	var (
		bo    binary.ByteOrder
		ifs   []uint32 // link type per interface of the current section
		pkts  []Packet
		frame = func(ifid uint32, b []byte, orig uint32) error {
			if uint64(ifid) >= uint64(len(ifs)) {
				return fmt.Errorf("capture: frame %d: unknown interface %d", len(pkts)+1, ifid)
			}
			pkts = append(pkts, Packet{Frame: len(pkts) + 1, LinkType: ifs[ifid], Data: b[:len(b):len(b)], OrigLen: int(min(orig, 1<<30))})
			return nil
		}
	)
	for off := 0; off < len(data); {
		if len(data)-off < 12 {
			return pkts, errTruncated
		}
		if binary.LittleEndian.Uint32(data[off:]) == 0x0a0d0d0a {
			// Section header: the byte-order magic decides the byte order
			// of everything up to the next SHB.
			switch binary.LittleEndian.Uint32(data[off+8:]) {
			case 0x1a2b3c4d:
				bo = binary.LittleEndian
			case 0x4d3c2b1a:
				bo = binary.BigEndian
			default:
				return pkts, errors.New("capture: pcapng: bad byte-order magic")
			}
			ifs = ifs[:0]
		}
		if bo == nil {
			return pkts, errors.New("capture: pcapng: first block is not a section header")
		}
		typ := bo.Uint32(data[off:])
		total := bo.Uint32(data[off+4:])
		if total < 12 || uint64(total) > uint64(len(data)-off) {
			return pkts, fmt.Errorf("capture: pcapng: block at %d: bad length %d: %w", off, total, errTruncated)
		}
		body := data[off+8 : off+int(total)-4]
		off += int(total)
		switch typ {
		case 0x0a0d0d0a: // SHB
			if len(body) < 16 {
				return pkts, errors.New("capture: pcapng: short section header")
			}
		case 1: // IDB
			if len(body) < 8 {
				return pkts, errors.New("capture: pcapng: short interface description")
			}
			ifs = append(ifs, uint32(bo.Uint16(body)))
		case 6: // EPB
			if len(body) < 20 {
				return pkts, errors.New("capture: pcapng: short enhanced packet block")
			}
			capLen := bo.Uint32(body[12:])
			if uint64(capLen) > uint64(len(body)-20) {
				return pkts, fmt.Errorf("capture: pcapng: frame %d: captured length %d exceeds block", len(pkts)+1, capLen)
			}
			if err := frame(bo.Uint32(body), body[20:20+int(capLen)], bo.Uint32(body[16:])); err != nil {
				return pkts, err
			}
		case 2: // obsolete Packet Block
			if len(body) < 20 {
				return pkts, errors.New("capture: pcapng: short packet block")
			}
			capLen := bo.Uint32(body[12:])
			if uint64(capLen) > uint64(len(body)-20) {
				return pkts, fmt.Errorf("capture: pcapng: frame %d: captured length %d exceeds block", len(pkts)+1, capLen)
			}
			if err := frame(uint32(bo.Uint16(body)), body[20:20+int(capLen)], bo.Uint32(body[16:])); err != nil {
				return pkts, err
			}
		case 3: // SPB: interface 0, captured length implied by the block length
			if len(body) < 4 {
				return pkts, errors.New("capture: pcapng: short simple packet block")
			}
			orig := bo.Uint32(body)
			b := body[4:]
			if uint64(orig) < uint64(len(b)) {
				b = b[:orig]
			}
			if err := frame(0, b, orig); err != nil {
				return pkts, err
			}
		default:
			// Name resolution, statistics, custom, ... blocks: skipped.
		}
	}
	return pkts, nil
}
