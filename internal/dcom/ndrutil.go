package dcom

import "github.com/iisctl/iisctl/ndr"

// guids writes a conformant array of GUIDs.
func writeGUIDs(w *ndr.Writer, g []ndr.GUID) {
	w.Count(len(g))
	for i := range g {
		g[i].MarshalNDR(w)
	}
}

// readGUIDs reads a conformant array of GUIDs whose correlated count is want.
func readGUIDs(r *ndr.Reader, want int, what string) []ndr.GUID {
	n, ok := r.Conformance(want, 16, what)
	if !ok {
		return nil
	}
	g := make([]ndr.GUID, n)
	for i := range g {
		g[i].UnmarshalNDR(r)
	}
	return g
}

// writeUint32s writes a conformant array of uint32.
func writeUint32s(w *ndr.Writer, v []uint32) {
	w.Count(len(v))
	for _, x := range v {
		w.Uint32(x)
	}
}

// readUint32s reads a conformant array of uint32 whose correlated count is want.
func readUint32s(r *ndr.Reader, want int, what string) []uint32 {
	n, ok := r.Conformance(want, 4, what)
	if !ok {
		return nil
	}
	v := make([]uint32, n)
	for i := range v {
		v[i] = r.Uint32()
	}
	return v
}

// writeUint16s writes a conformant array of uint16.
func writeUint16s(w *ndr.Writer, v []uint16) {
	w.Count(len(v))
	for _, x := range v {
		w.Uint16(x)
	}
}

// readUint16s reads a conformant array of uint16 whose correlated count is want.
func readUint16s(r *ndr.Reader, want int, what string) []uint16 {
	n, ok := r.Conformance(want, 2, what)
	if !ok {
		return nil
	}
	v := make([]uint16, n)
	for i := range v {
		v[i] = r.Uint16()
	}
	return v
}

// writeHRESULTs writes a conformant array of HRESULT.
func writeHRESULTs(w *ndr.Writer, v []HRESULT) {
	w.Count(len(v))
	for _, x := range v {
		w.Uint32(uint32(x))
	}
}

// readHRESULTs reads a conformant array of HRESULT whose correlated count is want.
func readHRESULTs(r *ndr.Reader, want int, what string) []HRESULT {
	u := readUint32s(r, want, what)
	if u == nil {
		return nil
	}
	v := make([]HRESULT, len(u))
	for i, x := range u {
		v[i] = HRESULT(x)
	}
	return v
}
