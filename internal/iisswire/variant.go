package iisswire

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/iisctl/iisctl/ndr"
)

// VarType is a VARENUM ([MS-OAUT] 2.2.7).
type VarType uint16

// VARENUM values this package encodes and decodes.
const (
	VT_EMPTY   VarType = 0x0000
	VT_NULL    VarType = 0x0001
	VT_I2      VarType = 0x0002
	VT_I4      VarType = 0x0003
	VT_R4      VarType = 0x0004
	VT_R8      VarType = 0x0005
	VT_CY      VarType = 0x0006
	VT_DATE    VarType = 0x0007
	VT_BSTR    VarType = 0x0008
	VT_ERROR   VarType = 0x000A
	VT_BOOL    VarType = 0x000B
	VT_VARIANT VarType = 0x000C
	VT_I1      VarType = 0x0010
	VT_UI1     VarType = 0x0011
	VT_UI2     VarType = 0x0012
	VT_UI4     VarType = 0x0013
	VT_I8      VarType = 0x0014
	VT_UI8     VarType = 0x0015
	VT_INT     VarType = 0x0016
	VT_UINT    VarType = 0x0017
	VT_BYREF   VarType = 0x4000
)

// Variant is a VARIANT ([MS-OAUT] 2.2.29) restricted to scalars, BSTR,
// their BYREF forms and VT_VARIANT|VT_BYREF. Integers, VT_BOOL (0 or
// -1) and VT_ERROR live in Int; R4/R8/CY/DATE keep their raw bits in
// Int; VT_BSTR uses Str (NullBSTR for a NULL BSTR); VT_VARIANT|VT_BYREF
// points to Ref. A BYREF form carries the same fields as its base type.
type Variant struct {
	VT       VarType
	Int      int64
	Str      string
	NullBSTR bool
	Ref      *Variant
}

// userMarker is the referent Windows writes for user-marshaled pointers
// (VARIANT, BSTR): USER_MARSHAL_MARKER, "User". Receivers only test for
// non-zero, so we write it too and get byte-identical stubs.
const userMarker = 0x72657355

// maxVariantDepth bounds VT_VARIANT|VT_BYREF nesting.
const maxVariantDepth = 4

// scalarSize is the wire size of a base type's value, 0 if not a scalar.
func scalarSize(vt VarType) int {
	switch vt &^ VT_BYREF {
	case VT_I1, VT_UI1:
		return 1
	case VT_I2, VT_UI2, VT_BOOL:
		return 2
	case VT_I4, VT_UI4, VT_INT, VT_UINT, VT_ERROR, VT_R4:
		return 4
	case VT_I8, VT_UI8, VT_R8, VT_CY, VT_DATE:
		return 8
	}
	return 0
}

// supported reports whether this package can marshal vt.
func supported(vt VarType) bool {
	base, byref := vt&^VT_BYREF, vt&VT_BYREF != 0
	switch {
	case vt == VT_EMPTY || vt == VT_NULL:
		return true
	case base == VT_BSTR || scalarSize(base) > 0:
		return true
	case base == VT_VARIANT:
		return byref
	}
	return false
}

func writeMarker(w *ndr.Writer, present bool) {
	var v uint64
	if present {
		v = userMarker
	}
	if w.Is64() {
		w.Uint64(v)
	} else {
		w.Uint32(uint32(v))
	}
}

func readMarker(r *ndr.Reader) bool {
	if r.Is64() {
		return r.Uint64() != 0
	}
	return r.Uint32() != 0
}

// MarshalVariant writes a VARIANT: its unique pointer and, inline, the
// wireVARIANT it points to (as deferral would place it when the VARIANT
// is the last pointer before a Flush).
func MarshalVariant(w *ndr.Writer, v *Variant) {
	writeMarker(w, true)
	v.marshalBody(w, 0)
}

// marshalBody writes the _wireVARIANT and its pointees.
func (v *Variant) marshalBody(w *ndr.Writer, depth int) {
	if depth > maxVariantDepth || !supported(v.VT) || (v.VT == VT_VARIANT|VT_BYREF && v.Ref == nil) {
		w.Fail(fmt.Errorf("iiss: cannot marshal VARIANT type %#x", uint16(v.VT)))
		return
	}
	scratch := ndr.NewWriter(w.Syntax())
	v.body(scratch, depth, 0)
	v.body(w, depth, uint32((scratch.Len()+7)/8))
}

func (v *Variant) body(w *ndr.Writer, depth int, clSize uint32) {
	w.Align(8)
	w.Uint32(clSize)
	w.Uint32(0) // rpcReserved
	w.Uint16(uint16(v.VT))
	w.Uint16(0)
	w.Uint16(0)
	w.Uint16(0)
	w.Uint32(uint32(v.VT)) // union discriminant
	if v.VT != VT_EMPTY && v.VT != VT_NULL {
		armAlign(w.Is64(), w.Align, v.VT)
		switch {
		case v.VT&VT_BYREF != 0 || v.VT == VT_BSTR:
			writeMarker(w, !(v.VT == VT_BSTR && v.NullBSTR))
		default:
			writeScalar(w, v.VT, v.Int)
		}
	}
	w.Tail(8)
	v.marshalDeferred(w, depth)
}

// armAlign aligns the union arm: to its own type in NDR20, to 8 (the
// largest arm) in NDR64 ([MS-RPCE] 2.2.5.3.4.4).
func armAlign(is64 bool, align func(int), vt VarType) {
	switch n := scalarSize(vt); {
	case is64:
		align(8)
	case vt&VT_BYREF != 0 || vt == VT_BSTR:
		align(4)
	default:
		align(n)
	}
}

func (v *Variant) marshalDeferred(w *ndr.Writer, depth int) {
	switch base := v.VT &^ VT_BYREF; {
	case v.VT == VT_BSTR:
		if !v.NullBSTR {
			marshalBSTRBlob(w, v.Str, false)
		}
	case v.VT&VT_BYREF == 0:
	case base == VT_BSTR:
		writeMarker(w, true)
		marshalBSTRBlob(w, v.Str, v.NullBSTR)
	case base == VT_VARIANT:
		writeMarker(w, true)
		v.Ref.marshalBody(w, depth+1)
	default:
		writeScalar(w, base, v.Int)
	}
}

func writeScalar(w *ndr.Writer, vt VarType, x int64) {
	switch scalarSize(vt) {
	case 1:
		w.Uint8(uint8(x))
	case 2:
		w.Uint16(uint16(x))
	case 4:
		w.Uint32(uint32(x))
	case 8:
		w.Uint64(uint64(x))
	}
}

func readScalar(r *ndr.Reader, vt VarType) int64 {
	switch base := vt &^ VT_BYREF; scalarSize(base) {
	case 1:
		if base == VT_I1 {
			return int64(int8(r.Uint8()))
		}
		return int64(r.Uint8())
	case 2:
		if base == VT_UI2 {
			return int64(r.Uint16())
		}
		return int64(int16(r.Uint16()))
	case 4:
		if base == VT_UI4 || base == VT_UINT || base == VT_ERROR || base == VT_R4 {
			return int64(r.Uint32())
		}
		return int64(int32(r.Uint32()))
	default:
		return int64(r.Uint64())
	}
}

// marshalBSTRBlob writes FLAGGED_WORD_BLOB ([MS-OAUT] 2.2.23.1), a
// conformant structure: conformance first (8-aligned in NDR64).
func marshalBSTRBlob(w *ndr.Writer, s string, null bool) {
	u := utf16.Encode([]rune(s))
	cBytes := uint32(2 * len(u))
	if null {
		u, cBytes = nil, 0xFFFFFFFF
	}
	w.Align(4)
	w.Count(len(u))
	w.Uint32(cBytes)
	w.Uint32(uint32(len(u)))
	for _, c := range u {
		w.Uint16(c)
	}
}

func unmarshalBSTRBlob(r *ndr.Reader) (s string, null bool) {
	r.Align(4)
	max := r.Count()
	cBytes := r.Uint32()
	clSize := int(r.Uint32())
	if !r.OK() {
		return "", false
	}
	if clSize != max {
		r.Failf("BSTR clSize %d but conformance %d", clSize, max)
		return "", false
	}
	if cBytes == 0xFFFFFFFF {
		if clSize != 0 {
			r.Failf("NULL BSTR with %d elements", clSize)
		}
		return "", true
	}
	if uint64(cBytes+1)/2 != uint64(clSize) {
		r.Failf("BSTR cBytes %d does not match clSize %d", cBytes, clSize)
		return "", false
	}
	if !r.CheckSize(clSize, 2) {
		return "", false
	}
	r.Align(2)
	b := r.Raw(2 * clSize)
	u := make([]uint16, cBytes/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), false
}

// UnmarshalVariant reads a VARIANT: its pointer and the wireVARIANT. A
// NULL VARIANT pointer reads as VT_EMPTY. Unsupported types fail the
// Reader (a clean decode error: the arm's size is unknown).
func UnmarshalVariant(r *ndr.Reader) Variant {
	var v Variant
	if readMarker(r) {
		v.unmarshalBody(r, 0)
	}
	return v
}

func (v *Variant) unmarshalBody(r *ndr.Reader, depth int) {
	r.Align(8)
	r.Uint32() // clSize: recomputed, not trusted
	r.Uint32() // rpcReserved
	v.VT = VarType(r.Uint16())
	r.Uint16()
	r.Uint16()
	r.Uint16()
	disc := r.Uint32()
	switch {
	case !r.OK():
		return
	case disc != uint32(v.VT):
		r.Failf("VARIANT discriminant %#x differs from vt %#x", disc, uint16(v.VT))
		return
	case depth > maxVariantDepth || !supported(v.VT):
		r.Failf("unsupported VARIANT type %#x", uint16(v.VT))
		return
	}
	present := true
	if v.VT != VT_EMPTY && v.VT != VT_NULL {
		armAlign(r.Is64(), r.Align, v.VT)
		if v.VT&VT_BYREF != 0 || v.VT == VT_BSTR {
			present = readMarker(r)
		} else {
			v.Int = readScalar(r, v.VT)
		}
	}
	r.Tail(8)
	v.unmarshalDeferred(r, depth, present)
}

func (v *Variant) unmarshalDeferred(r *ndr.Reader, depth int, present bool) {
	base := v.VT &^ VT_BYREF
	switch {
	case v.VT == VT_BSTR:
		if !present {
			v.NullBSTR = true
			return
		}
		v.Str, v.NullBSTR = unmarshalBSTRBlob(r)
	case v.VT&VT_BYREF == 0:
	case !present:
		r.Failf("NULL pointer in a BYREF VARIANT")
	case base == VT_BSTR:
		if readMarker(r) {
			v.Str, v.NullBSTR = unmarshalBSTRBlob(r)
		} else {
			v.NullBSTR = true
		}
	case base == VT_VARIANT:
		v.Ref = new(Variant)
		if readMarker(r) {
			v.Ref.unmarshalBody(r, depth+1)
		}
	default:
		v.Int = readScalar(r, base)
	}
}
