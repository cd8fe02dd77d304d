package capture

import (
	"encoding/binary"
	"net/netip"
)

// Segment is a TCP segment decoded from one frame.
type Segment struct {
	Frame    int
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    uint8 // TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10)
	Payload  []byte
}

// TCP flag bits.
const (
	FlagFIN = 0x01
	FlagSYN = 0x02
	FlagRST = 0x04
	FlagACK = 0x10
)

// DecodeTCP extracts the TCP segment from a captured frame. It reports false
// for frames that are not unfragmented IPv4/IPv6 TCP, or are too short.
func DecodeTCP(p Packet) (Segment, bool) {
	b := p.Data
	var ethType uint16
	switch p.LinkType {
	case LinkEthernet:
		if len(b) < 14 {
			return Segment{}, false
		}
		ethType = binary.BigEndian.Uint16(b[12:])
		b = b[14:]
		for ethType == 0x8100 || ethType == 0x88a8 || ethType == 0x9100 {
			if len(b) < 4 {
				return Segment{}, false
			}
			ethType = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		}
	case LinkNull, LinkLoop:
		if len(b) < 4 {
			return Segment{}, false
		}
		fam := binary.LittleEndian.Uint32(b)
		if p.LinkType == LinkLoop || fam > 0xffff {
			fam = binary.BigEndian.Uint32(b)
		}
		switch fam {
		case 2:
			ethType = 0x0800
		case 10, 24, 28, 30:
			ethType = 0x86dd
		}
		b = b[4:]
	case LinkRaw, 12, 14:
		if len(b) == 0 {
			return Segment{}, false
		}
		switch b[0] >> 4 {
		case 4:
			ethType = 0x0800
		case 6:
			ethType = 0x86dd
		}
	case LinkIPv4:
		ethType = 0x0800
	case LinkIPv6:
		ethType = 0x86dd
	case LinkLinuxSLL:
		if len(b) < 16 {
			return Segment{}, false
		}
		ethType = binary.BigEndian.Uint16(b[14:])
		b = b[16:]
	case LinkSLL2:
		if len(b) < 20 {
			return Segment{}, false
		}
		ethType = binary.BigEndian.Uint16(b)
		b = b[20:]
	default:
		return Segment{}, false
	}

	var src, dst netip.Addr
	switch ethType {
	case 0x0800:
		if len(b) < 20 || b[0]>>4 != 4 {
			return Segment{}, false
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:]))
		if ihl < 20 || len(b) < ihl {
			return Segment{}, false
		}
		if frag := binary.BigEndian.Uint16(b[6:]); frag&0x3fff != 0 { // MF or offset
			return Segment{}, false
		}
		if b[9] != 6 {
			return Segment{}, false
		}
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
		if total >= ihl && total < len(b) { // strip Ethernet padding; 0 (TSO) keeps all
			b = b[:total]
		}
		b = b[ihl:]
	case 0x86dd:
		if len(b) < 40 || b[0]>>4 != 6 {
			return Segment{}, false
		}
		plen := int(binary.BigEndian.Uint16(b[4:]))
		next := b[6]
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
		b = b[40:]
		if plen != 0 && plen < len(b) {
			b = b[:plen]
		}
		for next != 6 {
			var hl int
			switch next {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if len(b) < 2 {
					return Segment{}, false
				}
				hl = (int(b[1]) + 1) * 8
			case 44: // fragment
				if len(b) < 8 || binary.BigEndian.Uint16(b[2:])&0xfff9 != 0 {
					return Segment{}, false
				}
				hl = 8
			case 51: // AH
				if len(b) < 2 {
					return Segment{}, false
				}
				hl = (int(b[1]) + 2) * 4
			default:
				return Segment{}, false
			}
			if len(b) < hl {
				return Segment{}, false
			}
			next = b[0]
			b = b[hl:]
		}
	default:
		return Segment{}, false
	}

	if len(b) < 20 {
		return Segment{}, false
	}
	doff := int(b[12]>>4) * 4
	if doff < 20 || len(b) < doff {
		return Segment{}, false
	}
	return Segment{
		Frame:   p.Frame,
		Src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(b)),
		Dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[2:])),
		Seq:     binary.BigEndian.Uint32(b[4:]),
		Ack:     binary.BigEndian.Uint32(b[8:]),
		Flags:   b[13],
		Payload: b[doff:],
	}, true
}
