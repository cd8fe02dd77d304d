package iisswire

import (
	"github.com/iisctl/iisctl/ndr"
)

// IDispatch wire types ([MS-OAUT] 3.1.4), after ORPCTHIS / ORPCTHAT.
// Each has MarshalNDR/UnmarshalNDR; requests are written by clients and
// read by the server, responses the other way round.

// MaxNames is the range() bound of GetIDsOfNames' cNames ([MS-OAUT] 3.1.4.3).
const MaxNames = 16384

// GetTypeInfoRequest is GetTypeInfo's [in] (opnum 4).
type GetTypeInfoRequest struct{ ITInfo, LCID uint32 }

func (p *GetTypeInfoRequest) MarshalNDR(w *ndr.Writer)   { w.Uint32(p.ITInfo); w.Uint32(p.LCID) }
func (p *GetTypeInfoRequest) UnmarshalNDR(r *ndr.Reader) { p.ITInfo, p.LCID = r.Uint32(), r.Uint32() }

// GetTypeInfoCountResponse is GetTypeInfoCount's [out] (opnum 3).
type GetTypeInfoCountResponse struct {
	Count  uint32
	Result HRESULT
}

func (p *GetTypeInfoCountResponse) MarshalNDR(w *ndr.Writer) {
	w.Uint32(p.Count)
	w.Uint32(uint32(p.Result))
}
func (p *GetTypeInfoCountResponse) UnmarshalNDR(r *ndr.Reader) {
	p.Count, p.Result = r.Uint32(), HRESULT(r.Uint32())
}

// GetTypeInfoResponse is GetTypeInfo's [out]: we only ever carry a NULL
// ITypeInfo (an MInterfacePointer unique pointer); a non-NULL one fails
// to decode, since this package has no ITypeInfo.
type GetTypeInfoResponse struct{ Result HRESULT }

func (p *GetTypeInfoResponse) MarshalNDR(w *ndr.Writer) {
	w.Pointer(false, nil)
	w.Uint32(uint32(p.Result))
}
func (p *GetTypeInfoResponse) UnmarshalNDR(r *ndr.Reader) {
	if readMarker(r) {
		r.Failf("ITypeInfo interface pointers are not supported")
		return
	}
	p.Result = HRESULT(r.Uint32())
}

// GetIDsOfNamesRequest is GetIDsOfNames' [in] (opnum 5). A NULL name
// pointer decodes as "".
type GetIDsOfNamesRequest struct {
	RIID  ndr.GUID
	Names []string
	LCID  uint32
}

func (p *GetIDsOfNamesRequest) MarshalNDR(w *ndr.Writer) {
	p.RIID.MarshalNDR(w)
	w.Count(len(p.Names))
	for _, n := range p.Names {
		w.Pointer(true, func(w *ndr.Writer) { w.WString(n) })
	}
	w.Flush()
	w.Uint32(uint32(len(p.Names)))
	w.Uint32(p.LCID)
}

func (p *GetIDsOfNamesRequest) UnmarshalNDR(r *ndr.Reader) {
	p.RIID.UnmarshalNDR(r)
	n := r.Count()
	if !r.CheckSize(n, 4) {
		return
	}
	present := make([]bool, n)
	for i := range present {
		present[i] = readMarker(r)
	}
	p.Names = make([]string, n)
	for i := range p.Names {
		if present[i] && r.OK() {
			p.Names[i] = r.WString()
		}
	}
	c := r.Uint32()
	p.LCID = r.Uint32()
	switch {
	case !r.OK():
	case c > MaxNames:
		r.Failf("cNames %d exceeds range(0,%d)", c, MaxNames)
	case int(c) != n:
		r.Failf("cNames %d but rgszNames conformance %d", c, n)
	}
}

// GetIDsOfNamesResponse is GetIDsOfNames' [out].
type GetIDsOfNamesResponse struct {
	DispIDs []int32
	Result  HRESULT
}

func (p *GetIDsOfNamesResponse) MarshalNDR(w *ndr.Writer) {
	w.Count(len(p.DispIDs))
	for _, id := range p.DispIDs {
		w.Int32(id)
	}
	w.Uint32(uint32(p.Result))
}

func (p *GetIDsOfNamesResponse) UnmarshalNDR(r *ndr.Reader) {
	n := r.Count()
	if !r.CheckSize(n, 4) {
		return
	}
	p.DispIDs = make([]int32, n)
	for i := range p.DispIDs {
		p.DispIDs[i] = r.Int32()
	}
	p.Result = HRESULT(r.Uint32())
}

// DispParams is DISPPARAMS ([MS-OAUT] 2.2.33). Args is rgvarg as on the
// wire: reversed, named arguments first.
type DispParams struct {
	Args      []Variant
	NamedArgs []int32
}

func (p *DispParams) MarshalNDR(w *ndr.Writer) {
	w.Align(w.PtrAlign())
	w.Pointer(len(p.Args) > 0, func(w *ndr.Writer) { marshalVariants(w, p.Args) })
	w.Pointer(len(p.NamedArgs) > 0, func(w *ndr.Writer) {
		w.Count(len(p.NamedArgs))
		for _, id := range p.NamedArgs {
			w.Int32(id)
		}
	})
	w.Uint32(uint32(len(p.Args)))
	w.Uint32(uint32(len(p.NamedArgs)))
	w.Tail(8)
	w.Flush()
}

func (p *DispParams) UnmarshalNDR(r *ndr.Reader) {
	r.Align(r.PtrAlign())
	hasArgs, hasNamed := readMarker(r), readMarker(r)
	cArgs, cNamed := r.Uint32(), r.Uint32()
	r.Tail(8)
	if (!hasArgs && cArgs != 0) || (!hasNamed && cNamed != 0) {
		r.Failf("NULL DISPPARAMS array with a non-zero count")
		return
	}
	if hasArgs && r.OK() {
		p.Args = unmarshalVariants(r, int64(cArgs))
	}
	if hasNamed && r.OK() {
		n := r.Count()
		if uint64(n) != uint64(cNamed) {
			r.Failf("cNamedArgs %d but conformance %d", cNamed, n)
			return
		}
		if !r.CheckSize(n, 4) {
			return
		}
		p.NamedArgs = make([]int32, n)
		for i := range p.NamedArgs {
			p.NamedArgs[i] = r.Int32()
		}
	}
}

// marshalVariants writes a conformant array of VARIANT: the count, the
// pointers, then each wireVARIANT in order.
func marshalVariants(w *ndr.Writer, vs []Variant) {
	w.Count(len(vs))
	for range vs {
		writeMarker(w, true)
	}
	for i := range vs {
		vs[i].marshalBody(w, 0)
	}
}

// unmarshalVariants reads a conformant array of VARIANT whose count must
// equal want, unless want is negative.
func unmarshalVariants(r *ndr.Reader, want int64) []Variant {
	n := r.Count()
	if !r.OK() {
		return nil
	}
	if want >= 0 && int64(n) != want {
		r.Failf("VARIANT array conformance %d, expected %d", n, want)
		return nil
	}
	if !r.CheckSize(n, 4) {
		return nil
	}
	present := make([]bool, n)
	for i := range present {
		present[i] = readMarker(r)
	}
	vs := make([]Variant, n)
	for i := range vs {
		if present[i] && r.OK() {
			vs[i].unmarshalBody(r, 0)
		}
	}
	return vs
}

// Invoke dwFlags ([MS-OAUT] 3.1.4.4).
const (
	DISPATCH_METHOD         uint32 = 0x1
	DISPATCH_PROPERTYGET    uint32 = 0x2
	DISPATCH_PROPERTYPUT    uint32 = 0x4
	DISPATCH_PROPERTYPUTREF uint32 = 0x8
	DISPATCH_zeroVarResult  uint32 = 0x20000
	DISPATCH_zeroExcepInfo  uint32 = 0x40000
	DISPATCH_zeroArgErr     uint32 = 0x80000
)

// InvokeRequest is Invoke's [in] (opnum 6).
type InvokeRequest struct {
	DispID    int32
	RIID      ndr.GUID
	LCID      uint32
	Flags     uint32
	Params    DispParams
	VarRefIdx []uint32  // rgVarRefIdx
	VarRef    []Variant // rgVarRef, BYREF values
}

func (p *InvokeRequest) MarshalNDR(w *ndr.Writer) {
	w.Int32(p.DispID)
	p.RIID.MarshalNDR(w)
	w.Uint32(p.LCID)
	w.Uint32(p.Flags)
	p.Params.MarshalNDR(w)
	w.Uint32(uint32(len(p.VarRef)))
	w.Count(len(p.VarRefIdx))
	for _, i := range p.VarRefIdx {
		w.Uint32(i)
	}
	marshalVariants(w, p.VarRef)
}

func (p *InvokeRequest) UnmarshalNDR(r *ndr.Reader) {
	p.DispID = r.Int32()
	p.RIID.UnmarshalNDR(r)
	p.LCID, p.Flags = r.Uint32(), r.Uint32()
	p.Params.UnmarshalNDR(r)
	cVarRef := r.Uint32()
	n := r.Count()
	if !r.OK() {
		return
	}
	if uint64(n) != uint64(cVarRef) {
		r.Failf("cVarRef %d but rgVarRefIdx conformance %d", cVarRef, n)
		return
	}
	if !r.CheckSize(n, 4) {
		return
	}
	p.VarRefIdx = make([]uint32, n)
	for i := range p.VarRefIdx {
		p.VarRefIdx[i] = r.Uint32()
	}
	p.VarRef = unmarshalVariants(r, int64(cVarRef))
}

// ExcepInfo is EXCEPINFO ([MS-OAUT] 2.2.34) without the pointer-sized
// reserved fields. Our server always sends it zeroed, its BSTRs NULL.
type ExcepInfo struct {
	Code                          uint16
	Source, Description, HelpFile string
	HelpContext                   uint32
	SCode                         HRESULT
}

// MarshalNDR writes the BSTRs as Windows does: non-NULL pointers, each to
// a blob (a NULL BSTR when the string is empty).
func (e *ExcepInfo) MarshalNDR(w *ndr.Writer) {
	w.Align(w.PtrAlign())
	w.Uint16(e.Code)
	w.Uint16(0)
	for range 3 {
		writeMarker(w, true)
	}
	w.Uint32(e.HelpContext)
	w.Pointer(false, nil) // pvReserved
	w.Pointer(false, nil) // pfnDeferredFillIn
	w.Uint32(uint32(e.SCode))
	w.Tail(8)
	for _, s := range []string{e.Source, e.Description, e.HelpFile} {
		marshalBSTRBlob(w, s, s == "")
	}
}

func (e *ExcepInfo) UnmarshalNDR(r *ndr.Reader) {
	r.Align(r.PtrAlign())
	e.Code = r.Uint16()
	r.Uint16()
	var present [3]bool
	for i := range present {
		present[i] = readMarker(r)
	}
	e.HelpContext = r.Uint32()
	readMarker(r)
	readMarker(r)
	e.SCode = HRESULT(r.Uint32())
	r.Tail(8)
	for i, dst := range []*string{&e.Source, &e.Description, &e.HelpFile} {
		if present[i] && r.OK() {
			*dst, _ = unmarshalBSTRBlob(r)
		}
	}
}

// InvokeResponse is Invoke's [out].
type InvokeResponse struct {
	Result    Variant // pVarResult
	ExcepInfo ExcepInfo
	ArgErr    uint32
	VarRef    []Variant // rgVarRef as returned
	HR        HRESULT
}

func (p *InvokeResponse) MarshalNDR(w *ndr.Writer) {
	MarshalVariant(w, &p.Result)
	p.ExcepInfo.MarshalNDR(w)
	w.Uint32(p.ArgErr)
	marshalVariants(w, p.VarRef)
	w.Uint32(uint32(p.HR))
}

func (p *InvokeResponse) UnmarshalNDR(r *ndr.Reader) {
	p.Result = UnmarshalVariant(r)
	p.ExcepInfo.UnmarshalNDR(r)
	p.ArgErr = r.Uint32()
	p.VarRef = unmarshalVariants(r, -1)
	p.HR = HRESULT(r.Uint32())
}
