package ndr

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// sample is a representative IDL structure:
//
//	typedef struct {
//	    DWORD a;
//	    [unique, string] wchar_t *name;
//	    DWORD n;
//	    [unique, size_is(n)] DWORD *vals;
//	    GUID g;
//	    [unique] struct sample_inner *inner;
//	} sample;
type sample struct {
	A     uint32
	Name  *string
	Vals  []uint32 // nil means a NULL pointer
	G     GUID
	Inner *inner
}

type inner struct {
	K    uint16
	Note *string
}

func (s *sample) MarshalNDR(w *Writer) {
	w.Align(w.PtrAlign())
	w.Uint32(s.A)
	w.Pointer(s.Name != nil, func(w *Writer) { w.WString(*s.Name) })
	w.Uint32(uint32(len(s.Vals)))
	w.Pointer(s.Vals != nil, func(w *Writer) {
		w.Count(len(s.Vals))
		for _, v := range s.Vals {
			w.Uint32(v)
		}
	})
	s.G.MarshalNDR(w)
	w.Pointer(s.Inner != nil, func(w *Writer) { s.Inner.MarshalNDR(w) })
	w.Tail(w.PtrAlign())
}

func (s *sample) UnmarshalNDR(r *Reader) {
	r.Align(r.PtrAlign())
	s.A = r.Uint32()
	r.Pointer(func(r *Reader) { n := r.WString(); s.Name = &n })
	n := int(r.Uint32())
	present := r.Pointer(func(r *Reader) {
		m := r.Count()
		if m != n {
			r.Failf("size_is %d but conformance %d", n, m)
		}
		if !r.CheckSize(m, 4) {
			return
		}
		s.Vals = make([]uint32, m)
		for i := range s.Vals {
			s.Vals[i] = r.Uint32()
		}
	})
	r.CheckNull(present, n)
	s.G.UnmarshalNDR(r)
	r.Pointer(func(r *Reader) { s.Inner = new(inner); s.Inner.UnmarshalNDR(r) })
	r.Tail(r.PtrAlign())
}

func (in *inner) MarshalNDR(w *Writer) {
	w.Align(w.PtrAlign())
	w.Uint16(in.K)
	w.Pointer(in.Note != nil, func(w *Writer) { w.WString(*in.Note) })
	w.Tail(w.PtrAlign())
}

func (in *inner) UnmarshalNDR(r *Reader) {
	r.Align(r.PtrAlign())
	in.K = r.Uint16()
	r.Pointer(func(r *Reader) { n := r.WString(); in.Note = &n })
	r.Tail(r.PtrAlign())
}

func strp(s string) *string { return &s }

func newSample() *sample {
	return &sample{
		A: 7, Name: strp("ab"), Vals: []uint32{1, 2},
		G:     MustGUID("e8fb8620-588f-11d2-9d61-00c04f79c5fe"),
		Inner: &inner{K: 9, Note: strp("x")},
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The expected bytes are worked out by hand from C706 14.3 (NDR20) and
// [MS-RPCE] 2.2.5 (NDR64): fields with referent IDs first, then the
// deferred pointees in order, each pointee's own pointees right after it.
var sampleGolden = map[Syntax]string{
	NDR20: `07000000 00000200 02000000 04000200
	        2086fbe8 8f58d211 9d6100c0 4f79c5fe 08000200
	        03000000 00000000 03000000 61006200 0000 0000
	        02000000 01000000 02000000
	        0900 0000 0c000200
	        02000000 00000000 02000000 7800 0000`,
	NDR64: `07000000 00000000 0000020000000000 02000000 00000000 0400020000000000
	        2086fbe8 8f58d211 9d6100c0 4f79c5fe 0800020000000000
	        0300000000000000 0000000000000000 0300000000000000 610062000000 0000
	        0200000000000000 01000000 02000000
	        0900 000000000000 0c00020000000000
	        0200000000000000 0000000000000000 0200000000000000 78000000`,
}

func TestSampleGolden(t *testing.T) {
	for syn, want := range sampleGolden {
		t.Run(syn.String(), func(t *testing.T) {
			w := NewWriter(syn)
			w.Marshal(newSample())
			if err := w.Err(); err != nil {
				t.Fatal(err)
			}
			if got, w := w.Bytes(), unhex(t, want); !bytes.Equal(got, w) {
				t.Fatalf("encoding mismatch\n got %x\nwant %x", got, w)
			}
			var s sample
			r := NewReader(unhex(t, want), syn)
			r.Unmarshal(&s)
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if *s.Name != "ab" || len(s.Vals) != 2 || s.Vals[1] != 2 || s.Inner.K != 9 || *s.Inner.Note != "x" || s.G != newSample().G {
				t.Fatalf("decoded %+v", s)
			}
		})
	}
}

func TestNullPointers(t *testing.T) {
	for _, syn := range []Syntax{NDR20, NDR64} {
		w := NewWriter(syn)
		w.Marshal(&sample{A: 1})
		var s sample
		r := NewReader(w.Bytes(), syn)
		r.Unmarshal(&s)
		if r.Err() != nil || s.Name != nil || s.Vals != nil || s.Inner != nil || r.Remaining() != 0 {
			t.Fatalf("%v: err %v, %+v, %d left", syn, r.Err(), s, r.Remaining())
		}
	}
}

func TestStrictChecks(t *testing.T) {
	good := unhex(t, sampleGolden[NDR20])
	cases := []struct {
		name string
		mut  func(b []byte) []byte
	}{
		{"null pointer with non-zero count", func(b []byte) []byte { copy(b[12:], []byte{0, 0, 0, 0}); return b }},
		{"size_is disagrees with conformance", func(b []byte) []byte { b[8] = 3; return b }},
		{"count above 2^31-1", func(b []byte) []byte { copy(b[40:], []byte{0xff, 0xff, 0xff, 0xff}); return b }},
		{"offset+actual above max", func(b []byte) []byte { b[44] = 1; return b }},
		{"string without NUL", func(b []byte) []byte { b[56] = 'z'; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-3] }},
		{"empty", func(b []byte) []byte { return nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.mut(append([]byte(nil), good...))
			var s sample
			r := NewReader(b, NDR20)
			r.Unmarshal(&s)
			err := r.Err()
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.RPCFaultStatus() != 0x6F7 {
				t.Fatalf("error %v does not carry fault 0x6F7", err)
			}
		})
	}
}

func TestHugeCountDoesNotAllocate(t *testing.T) {
	// A conformance of 0x7fffffff with a handful of bytes behind it must
	// fail on the size check, not allocate 8 GiB.
	b := unhex(t, "ffffff7f 01000000")
	r := NewReader(b, NDR20)
	n := r.Count()
	if r.CheckSize(n, 4) || r.Err() == nil {
		t.Fatalf("CheckSize accepted %d elements in %d bytes", n, len(b))
	}
}

func TestEnumWidth(t *testing.T) {
	w := NewWriter(NDR20)
	w.Enum(0x10000)
	if w.Err() == nil {
		t.Fatal("NDR20 enum above 0xffff accepted")
	}
	w = NewWriter(NDR64)
	w.Enum(5)
	if !bytes.Equal(w.Bytes(), []byte{5, 0, 0, 0}) {
		t.Fatalf("NDR64 enum % x", w.Bytes())
	}
}

func TestGUIDParse(t *testing.T) {
	g := MustGUID("{E8FB8620-588F-11D2-9D61-00C04F79C5FE}")
	if got := hex.EncodeToString(g[:]); got != "2086fbe88f58d2119d6100c04f79c5fe" {
		t.Fatalf("wire layout %s", got)
	}
	if g.String() != "e8fb8620-588f-11d2-9d61-00c04f79c5fe" {
		t.Fatalf("String %s", g)
	}
	for _, bad := range []string{"", "e8fb8620588f11d29d6100c04f79c5fe", "g8fb8620-588f-11d2-9d61-00c04f79c5fe"} {
		if _, err := ParseGUID(bad); err == nil {
			t.Errorf("ParseGUID(%q) accepted", bad)
		}
	}
}

func TestTS1(t *testing.T) {
	b, err := EncodeTS1(newSample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:8], ts1CommonHeader[:]) || len(b)%8 != 0 || int(b[8]) != len(b)-16 {
		t.Fatalf("TS1 header % x, len %d", b[:16], len(b))
	}
	var s sample
	if err := DecodeTS1(b, &s); err != nil || *s.Name != "ab" {
		t.Fatalf("DecodeTS1: %v %+v", err, s)
	}
	b[8] = 0xff
	if err := DecodeTS1(b, &s); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized object buffer length: %v", err)
	}
}

func TestConformance(t *testing.T) {
	cases := []struct {
		name      string
		stub      string
		want, per int
		ok        bool
	}{
		{"matches and fits", "02000000 0100 0200", 2, 2, true},
		{"differs from size_is", "03000000 0100 0200 0300", 2, 2, false},
		{"more than the bytes left", "02000000 0100", 2, 2, false},
		{"above 2^31-1", "ffffffff", -1, 1, false},
	}
	for _, c := range cases {
		r := NewReader(unhex(t, c.stub), NDR20)
		n, ok := r.Conformance(c.want, c.per, "test array")
		if ok != c.ok || (ok && n != c.want) || (!ok && !errors.Is(r.Err(), ErrMalformed)) {
			t.Errorf("%s: n=%d ok=%v err=%v", c.name, n, ok, r.Err())
		}
	}
}
