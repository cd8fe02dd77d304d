package cursor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestReader(t *testing.T) {
	b := []byte{1, 2, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0xAA, 0xBB}
	r := New(b)
	if r.U8() != 1 || r.U16() != 2 || r.U32() != 3 || r.U64() != 4 || r.Remaining() != 2 || r.Err() != nil {
		t.Fatalf("LE reads wrong, offset %d, %v", r.Offset(), r.Err())
	}
	if s := r.Rest(); !bytes.Equal(s, []byte{0xAA, 0xBB}) || cap(s) != 2 {
		t.Fatalf("Rest %x cap %d", s, cap(s))
	}
	if r.U8() != 0 || !errors.Is(r.Err(), ErrShort) {
		t.Fatalf("read past the end: %v", r.Err())
	}
	first := r.Err()
	r.Failf("later")
	if r.U16() != 0 || r.Err() != first {
		t.Fatal("the failure is not sticky")
	}
	if r := New([]byte{1, 2}); r.Take(-1) != nil || r.Err() == nil {
		t.Fatal("negative Take accepted")
	}
}

func TestBigEndianAndGUID(t *testing.T) {
	r := NewOrder([]byte{0, 0, 0, 9, 0, 0, 0, 1, 0, 2, 0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, binary.BigEndian)
	if r.U32() != 9 {
		t.Fatal("BE u32")
	}
	want := [16]byte{1, 0, 0, 0, 2, 0, 3, 0, 4, 5, 6, 7, 8, 9, 10, 11}
	r = NewOrder([]byte{0, 0, 0, 1, 0, 2, 0, 3, 4, 5, 6, 7, 8, 9, 10, 11}, binary.BigEndian)
	if g := r.GUID(); g != want {
		t.Fatalf("BE GUID % x", g)
	}
	r = New(want[:])
	if g := r.GUID(); g != want {
		t.Fatalf("LE GUID % x", g)
	}
	r = New(make([]byte, 5))
	r.U8()
	r.Align(4)
	if r.Offset() != 4 || r.Err() != nil {
		t.Fatalf("Align: %d %v", r.Offset(), r.Err())
	}
	r.Align(8)
	if r.Err() == nil {
		t.Fatal("Align past the end accepted")
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, ops uint8) {
		r := New(b)
		for i := range int(ops) {
			switch i % 6 {
			case 0:
				r.U8()
			case 1:
				r.U16()
			case 2:
				r.U32()
			case 3:
				r.U64()
			case 4:
				r.GUID()
			case 5:
				r.Align(8)
			}
			if r.Offset() > len(b) {
				t.Fatalf("offset %d beyond %d", r.Offset(), len(b))
			}
		}
	})
}
