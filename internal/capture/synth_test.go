package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// frame is a TCP segment to synthesize.
type frame struct {
	src, dst netip.AddrPort
	seq      uint32
	flags    uint8
	payload  []byte
}

func tcpIP(f frame) (ethType uint16, pkt []byte) {
	tcp := make([]byte, 20, 20+len(f.payload))
	binary.BigEndian.PutUint16(tcp, f.src.Port())
	binary.BigEndian.PutUint16(tcp[2:], f.dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], f.seq)
	tcp[12] = 5 << 4
	tcp[13] = f.flags
	tcp = append(tcp, f.payload...)
	if f.src.Addr().Is4() {
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
		ip[8], ip[9] = 64, 6
		s, d := f.src.Addr().As4(), f.dst.Addr().As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		return 0x0800, append(ip, tcp...)
	}
	// IPv6 with a hop-by-hop extension header in front of TCP.
	ip := make([]byte, 48)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(8+len(tcp)))
	ip[6], ip[7] = 0, 64
	s, d := f.src.Addr().As16(), f.dst.Addr().As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	ip[40] = 6
	return 0x86dd, append(ip, tcp...)
}

func link(lt uint32, f frame) []byte {
	et, ip := tcpIP(f)
	var h []byte
	switch lt {
	case LinkEthernet: // with two VLAN tags and trailing padding
		h = make([]byte, 22)
		binary.BigEndian.PutUint16(h[12:], 0x88a8)
		binary.BigEndian.PutUint16(h[16:], 0x8100)
		binary.BigEndian.PutUint16(h[20:], et)
		return append(append(h, ip...), 0, 0, 0, 0)
	case LinkLinuxSLL:
		h = make([]byte, 16)
		binary.BigEndian.PutUint16(h[14:], et)
	case LinkSLL2:
		h = make([]byte, 20)
		binary.BigEndian.PutUint16(h, et)
	case LinkNull:
		h = binary.LittleEndian.AppendUint32(nil, map[uint16]uint32{0x0800: 2, 0x86dd: 30}[et])
	}
	return append(h, ip...)
}

func writePcap(bo byteOrder, nsec bool, lt uint32, frames [][]byte) []byte {
	magic := uint32(0xa1b2c3d4)
	if nsec {
		magic = 0xa1b23c4d
	}
	b := bo.AppendUint32(nil, magic)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = bo.AppendUint32(b, 65535)
	b = bo.AppendUint32(b, lt)
	for i, f := range frames {
		b = bo.AppendUint32(b, uint32(i))
		b = bo.AppendUint32(b, 0)
		b = bo.AppendUint32(b, uint32(len(f)))
		b = bo.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

func block(bo byteOrder, typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	b := bo.AppendUint32(nil, typ)
	b = bo.AppendUint32(b, uint32(12+len(body)))
	b = append(b, body...)
	return bo.AppendUint32(b, uint32(12+len(body)))
}

// writePcapng writes one section with an IDB per link type; frame i goes to
// interface ifc[i]. Frames on interface 0 alternate EPB and SPB.
func writePcapng(bo byteOrder, lts []uint32, ifc []int, frames [][]byte) []byte {
	shb := bo.AppendUint32(nil, 0x1a2b3c4d)
	shb = bo.AppendUint16(shb, 1)
	shb = bo.AppendUint16(shb, 0)
	shb = append(shb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	out := block(bo, 0x0a0d0d0a, shb)
	for _, lt := range lts {
		idb := bo.AppendUint16(nil, uint16(lt))
		idb = append(idb, 0, 0)
		idb = bo.AppendUint32(idb, 0)
		out = append(out, block(bo, 1, idb)...)
	}
	out = append(out, block(bo, 0x0bad, []byte("unknown block"))...)
	for i, f := range frames {
		if ifc[i] == 0 && i%2 == 1 {
			out = append(out, block(bo, 3, append(bo.AppendUint32(nil, uint32(len(f))), f...))...)
			continue
		}
		epb := bo.AppendUint32(nil, uint32(ifc[i]))
		epb = append(epb, make([]byte, 8)...)
		epb = bo.AppendUint32(epb, uint32(len(f)))
		epb = bo.AppendUint32(epb, uint32(len(f)))
		out = append(out, block(bo, 6, append(epb, f...))...)
	}
	return out
}

// pdu returns a DCE/RPC CO PDU of n bytes with the given ptype and call id.
func pdu(ptype uint8, callID uint32, n int, little bool) []byte {
	b := make([]byte, n)
	b[0], b[1], b[2], b[3] = 5, 0, ptype, 3
	var bo binary.ByteOrder = binary.BigEndian
	if little {
		b[4] = 0x10
		bo = binary.LittleEndian
	}
	bo.PutUint16(b[8:], uint16(n))
	bo.PutUint32(b[12:], callID)
	for i := 16; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// conversation returns the segments of a small exchange that exercises
// retransmission, overlap, out-of-order delivery and several PDUs per
// segment, plus an SMB stream, and the PDUs expected from it.
func conversation(c, s netip.AddrPort, little bool) (segs []frame, wantClient, wantServer [][]byte) {
	bind, req1, req2 := pdu(11, 1, 72, little), pdu(0, 2, 100, little), pdu(0, 3, 40, little)
	ack, resp1, resp2 := pdu(12, 1, 60, little), pdu(2, 2, 30, little), pdu(2, 3, 500, little)
	cs := append(append(append([]byte{}, bind...), req1...), req2...)  // 212 bytes
	ss := append(append(append([]byte{}, ack...), resp1...), resp2...) // 590 bytes
	var ci, si uint32 = 1000, 0xfffffff0                               // server ISN wraps around
	smbC := netip.AddrPortFrom(c.Addr(), c.Port()+1)
	smbS := netip.AddrPortFrom(s.Addr(), 445)
	segs = []frame{
		{c, s, ci, FlagSYN, nil},
		{s, c, si, FlagSYN | FlagACK, nil},
		{c, s, ci + 1, FlagACK, cs[:50]},
		{smbC, smbS, 7, FlagACK, []byte{0, 0, 0, 4, 0xfe, 'S', 'M', 'B'}},
		{c, s, ci + 1, FlagACK, cs[:50]},           // retransmission
		{c, s, ci + 1 + 30, FlagACK, cs[30:72]},    // overlap, completes bind
		{s, c, si + 1 + 100, FlagACK, ss[100:590]}, // out of order
		{s, c, si + 1, FlagACK, ss[:100]},          // fills the hole: ack, resp1, resp2
		{c, s, ci + 1 + 72, FlagACK, cs[72:212]},   // req1 + req2 in one segment
		{c, s, ci + 1 + 212, FlagACK | FlagFIN, nil},
	}
	return segs, [][]byte{bind, req1, req2}, [][]byte{ack, resp1, resp2}
}

func checkConversation(t *testing.T, f *File, wantClient, wantServer [][]byte) {
	t.Helper()
	if len(f.Streams) != 2 || !f.Streams[0].DCERPC() || f.Streams[1].DCERPC() || !f.Streams[0].ClientSure {
		t.Fatalf("streams = %+v", f.Streams)
	}
	var gotC, gotS [][]byte
	for _, p := range f.PDUs {
		if p.FromClient {
			gotC = append(gotC, p.Bytes)
		} else {
			gotS = append(gotS, p.Bytes)
		}
	}
	if !equal(gotC, wantClient) || !equal(gotS, wantServer) {
		t.Fatalf("PDUs client %d server %d, want %d %d", len(gotC), len(gotS), len(wantClient), len(wantServer))
	}
	// Frame numbers: bind is in frames 3, 5 (retransmission) and 6: first 3,
	// complete at 6. The server PDUs complete at frame 8 (the hole filler);
	// resp2 starts in frame 8 but most of it came earlier, in frame 7.
	want := []struct{ frame, end int }{{3, 6}, {8, 8}, {8, 8}, {7, 8}, {9, 9}, {9, 9}}
	if len(f.PDUs) != len(want) {
		t.Fatalf("%d PDUs", len(f.PDUs))
	}
	for i, w := range want {
		if p := f.PDUs[i]; p.Frame != w.frame || p.EndFrame != w.end {
			t.Errorf("PDU %d (ptype %d): frames %d..%d, want %d..%d", i, p.PType(), p.Frame, p.EndFrame, w.frame, w.end)
		}
	}
	if id := f.PDUs[5].CallID(); id != 3 {
		t.Errorf("call id %d", id)
	}
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestSyntheticFormats(t *testing.T) {
	v4c, v4s := netip.MustParseAddrPort("10.0.0.1:50000"), netip.MustParseAddrPort("10.0.0.2:135")
	v6c, v6s := netip.MustParseAddrPort("[2001:db8::1]:50000"), netip.MustParseAddrPort("[2001:db8::2]:135")
	for _, addrs := range [][2]netip.AddrPort{{v4c, v4s}, {v6c, v6s}} {
		for _, little := range []bool{true, false} {
			segs, wc, ws := conversation(addrs[0], addrs[1], little)
			for _, lt := range []uint32{LinkEthernet, LinkRaw, LinkLinuxSLL, LinkSLL2, LinkNull, LinkIPv4, LinkIPv6} {
				if (lt == LinkIPv4 && addrs[0].Addr().Is6()) || (lt == LinkIPv6 && addrs[0].Addr().Is4()) {
					continue
				}
				var frames [][]byte
				for _, s := range segs {
					frames = append(frames, link(lt, s))
				}
				for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
					for _, nsec := range []bool{false, true} {
						f, err := Parse(writePcap(bo, nsec, lt, frames))
						if err != nil {
							t.Fatalf("pcap %v %v link %d: %v", bo, nsec, lt, err)
						}
						checkConversation(t, f, wc, ws)
					}
					// pcapng: the frames spread over two interfaces of
					// different link types.
					lts := []uint32{lt, LinkSLL2}
					ifc := make([]int, len(segs))
					ngFrames := slices.Clone(frames)
					for i := range segs {
						if i%3 == 2 {
							ifc[i] = 1
							ngFrames[i] = link(LinkSLL2, segs[i])
						}
					}
					f, err := Parse(writePcapng(bo, lts, ifc, ngFrames))
					if err != nil {
						t.Fatalf("pcapng %v link %d: %v", bo, lt, err)
					}
					checkConversation(t, f, wc, ws)
				}
			}
		}
	}
}

func TestGapAndGuessedClient(t *testing.T) {
	c, s := netip.MustParseAddrPort("10.0.0.1:50000"), netip.MustParseAddrPort("10.0.0.2:49700")
	a, b := pdu(0, 1, 40, true), pdu(0, 2, 40, true)
	resp := pdu(2, 1, 40, true)
	// No handshake, and the server speaks first in the capture: its response
	// identifies it. The client stream has a hole after its first PDU.
	segs := []frame{
		{s, c, 5000, FlagACK, resp},
		{c, s, 100, FlagACK, a},
		{c, s, 100 + 80, FlagACK, b}, // 40 bytes missing
	}
	var frames [][]byte
	for _, sg := range segs {
		frames = append(frames, link(LinkEthernet, sg))
	}
	f, err := Parse(writePcap(binary.LittleEndian, false, LinkEthernet, frames))
	if err != nil {
		t.Fatal(err)
	}
	st := f.Streams[0]
	if st.ClientSure || st.Client.Src != c || !st.Client.Gap || st.Client.GapAt != 40 || st.Client.GapFrame != 3 || st.Server.Gap {
		t.Errorf("stream = %+v", st)
	}
	if len(f.PDUs) != 2 || f.PDUs[0].FromClient || !f.PDUs[1].FromClient || f.PDUs[0].Frame != 1 || f.PDUs[1].Frame != 2 {
		t.Errorf("PDUs = %+v", f.PDUs)
	}
}

func TestTruncatedAndBad(t *testing.T) {
	c, s := netip.MustParseAddrPort("10.0.0.1:50000"), netip.MustParseAddrPort("10.0.0.2:135")
	good := writePcap(binary.LittleEndian, false, LinkEthernet, [][]byte{link(LinkEthernet, frame{c, s, 1, FlagACK, pdu(11, 1, 72, true)})})
	for n := range len(good) {
		Parse(good[:n]) // must not panic
	}
	if _, err := Parse(good[:len(good)-1]); err == nil {
		t.Error("truncated pcap accepted")
	}
	if _, err := Parse([]byte("not a capture")); err == nil {
		t.Error("garbage accepted")
	}
	// A bad header in the middle of a stream stops it and is reported.
	bad := append(pdu(11, 1, 72, true), make([]byte, 16)...)
	f, err := Parse(writePcap(binary.LittleEndian, false, LinkEthernet, [][]byte{link(LinkEthernet, frame{c, s, 1, FlagACK, bad})}))
	if err != nil || len(f.PDUs) != 1 || f.Streams[0].Client.BadHeader == nil {
		t.Errorf("bad header: %v %+v", err, f)
	}
}

func FuzzParse(f *testing.F) {
	c, s := netip.MustParseAddrPort("10.0.0.1:50000"), netip.MustParseAddrPort("[::1]:135")
	segs, _, _ := conversation(c, netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), 135), true)
	var frames [][]byte
	for _, sg := range segs {
		frames = append(frames, link(LinkEthernet, sg))
	}
	f.Add(writePcap(binary.BigEndian, true, LinkEthernet, frames))
	f.Add(writePcapng(binary.LittleEndian, []uint32{LinkEthernet}, make([]int, len(frames)), frames))
	f.Add(writePcap(binary.LittleEndian, false, LinkSLL2, [][]byte{link(LinkSLL2, frame{netip.AddrPortFrom(netip.MustParseAddr("::2"), 1), s, 1, 0, pdu(0, 1, 20, false)})}))
	if d := Dir(); d != "" {
		for _, name := range []string{"dcom_iremunknown2_spnego-ntlm-altctx-3leg.pcapng", "dcom_excel-registerxll_ntlm_serveralive2-getclassobject-idispatch.pcap"} {
			if b, err := os.ReadFile(filepath.Join(d, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		var total int64
		for _, st := range file.Streams {
			total += st.Client.Bytes + st.Server.Bytes
		}
		if total > int64(len(data)) {
			t.Fatalf("reassembled %d bytes from a %d-byte file", total, len(data))
		}
		for _, p := range file.PDUs {
			if len(p.Bytes) < 16 || p.Frame < 1 || p.Frame > p.EndFrame || p.EndFrame > file.Packets {
				t.Fatalf("bad PDU %+v", p)
			}
			_ = p.CallID()
		}
	})
}
