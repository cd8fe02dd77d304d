package rpc

import (
	"bytes"

	"encoding/binary"
	"github.com/iisctl/iisctl/internal/capture"
	"testing"
)

func seedPDUs(f *testing.F) [][]byte {
	var out [][]byte
	for _, p := range samplePDUs() {
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzUnmarshal: the decoder never panics and never reads past
// frag_length; whatever decodes re-encodes, and the encoding is a fixed
// point (canonical inputs, as in the golden captures, re-encode exactly:
// TestGoldenCaptures).
func FuzzUnmarshal(f *testing.F) {
	for _, b := range seedPDUs(f) {
		f.Add(b)
	}
	for _, b := range fuzzRegressions {
		f.Add(b)
	}
	for _, name := range []string{"svcctl_win10-ws2019_ntlm-sealed_pw-known.pcapng", "dcom_iremunknown2_spnego-ntlm-altctx-3leg.pcapng"} {
		if path := capture.Lookup(name); path != "" { // seeds only: absent captures are no failure here
			pdus, _ := capture.ReadPDUs(path)
			for _, p := range pdus {
				f.Add(p.Bytes)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFixedPoint(t, b)
	})
}

// fuzzRegressions are inputs found by fuzzing, kept as table cases.
// Both were re-encoding failures of non-canonical input, fixed by making
// the property a fixed point and by keeping bind_ack's sec_addr aligned.
var fuzzRegressions = [][]byte{
	[]byte("00\f00000 \x00\x00\x00000000000000\x02\x0000\x0000000000000"), // bind_ack sec_addr without trailing NUL
	[]byte("00\x0300000\x1f\x00\x00\x000000000000000000000"),              // fault with a short reserved field
}

// FuzzReassembly feeds a sequence of request fragments (split from the
// input) and checks the reassembler never exceeds its limit or panics,
// and that a completed stub is the concatenation of the fragments.
func FuzzReassembly(f *testing.F) {
	f.Add([]byte{3, 1, 2, 3, 2, 4, 5}, uint8(8))
	f.Add([]byte{1, 9, 9, 0, 0, 2, 1}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, limit uint8) {
		r := reassembler{max: int(limit)}
		var want []byte
		for len(data) >= 2 {
			flags, n := data[0], int(data[1])
			data = data[2:]
			n = min(n, len(data))
			frag := data[:n]
			data = data[n:]
			p := &PDU{Header: Header{Type: PTypeRequest, Flags: flags & 3, CallID: uint32(flags >> 4)},
				Body: &Request{Opnum: uint16(flags >> 6), Stub: frag}}
			_, stub, done, err := r.add(p)
			if err != nil {
				if !r.active {
					want = nil
				}
				continue
			}
			if flags&FlagFirstFrag != 0 {
				want = nil
			}
			want = append(want, frag...)
			if len(r.stub) > r.max || len(stub) > r.max {
				t.Fatalf("stub %d over limit %d", len(stub), r.max)
			}
			if done {
				if !bytes.Equal(stub, want) {
					t.Fatalf("reassembled %x, want %x", stub, want)
				}
				want = nil
			}
		}
	})
}

// FuzzVerificationTrailer: the scanner never panics and anything it finds
// re-encodes to the bytes it was found in.
func FuzzVerificationTrailer(f *testing.F) {
	h2 := VTHeader2{PType: PTypeRequest, DRep: DRepLE, CallID: 3}
	vt := &VerificationTrailer{Commands: []VTCommand{BitmaskCommand(1), PContextCommand(VTPContext{Interface: testIface, Transfer: SyntaxNDR20}), Header2Command(h2)}}
	f.Add(vt.AppendTo([]byte{1, 2, 3, 4}))
	f.Add(append(bytes.Clone(VTSignature), 0, 0x40, 0, 0))
	f.Fuzz(func(t *testing.T, stub []byte) {
		v, off, ok := FindVerificationTrailer(stub)
		if !ok {
			return
		}
		if off%4 != 0 {
			t.Fatalf("unaligned trailer at %d", off)
		}
		v.PContext()
		v.Header2()
		v.Bitmask()
		if err := v.Check(); err == nil {
			// What Check accepts has each known command at its size once.
			if _, ok := v.PContext(); !ok && hasCommand(v, VTCommandPContext) {
				t.Fatal("Check accepted a pcontext PContext cannot read")
			}
		}
		re := v.AppendTo(nil)
		if !bytes.Equal(re, stub[off:]) {
			t.Fatalf("trailer re-encodes differently:\n%x\n%x", stub[off:], re)
		}
	})
}

func hasCommand(v *VerificationTrailer, t uint16) bool {
	for _, c := range v.Commands {
		if c.Type() == t {
			return true
		}
	}
	return false
}

func checkFixedPoint(t *testing.T, b []byte) {
	p, err := Unmarshal(b)
	if err != nil {
		return
	}
	if len(b) < int(p.FragLength) {
		t.Fatalf("decoded %d bytes past the input", int(p.FragLength)-len(b))
	}
	out, err := p.Marshal()
	if err != nil {
		if p.FragLength > 0xFFFF-64 {
			return // a non-canonical pad can grow a near-64K PDU
		}
		t.Fatalf("re-marshal: %v", err)
	}
	q, err := Unmarshal(out)
	if err != nil {
		t.Fatalf("re-decode: %v\n%x", err, out)
	}
	out2, err := q.Marshal()
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("encoding not a fixed point (%v):\n%x\n%x", err, out, out2)
	}
}

func TestFuzzRegressions(t *testing.T) {
	for _, b := range fuzzRegressions {
		checkFixedPoint(t, b)
	}
	_ = binary.LittleEndian
}
