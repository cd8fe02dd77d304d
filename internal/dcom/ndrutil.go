package dcom

import "github.com/iisctl/iisctl/ndr"

// writeArray writes a conformant array ([C706] 14.3.3.2): its count, then
// each element with put.
func writeArray[T any](w *ndr.Writer, v []T, put func(*ndr.Writer, T)) {
	w.Count(len(v))
	for _, x := range v {
		put(w, x)
	}
}

// readArray reads a conformant array of elements of size bytes whose
// correlated count is want, each with get. The count is checked against
// want and against the bytes left before anything is allocated.
func readArray[T any](r *ndr.Reader, want, size int, what string, get func(*ndr.Reader) T) []T {
	n, ok := r.Conformance(want, size, what)
	if !ok {
		return nil
	}
	v := make([]T, n)
	for i := range v {
		v[i] = get(r)
	}
	return v
}

// Element codecs for writeArray and readArray; uint16 and uint32 use the
// method expressions (*ndr.Writer).Uint16, (*ndr.Reader).Uint32, ...
func putGUID(w *ndr.Writer, g ndr.GUID)   { g.MarshalNDR(w) }
func putHRESULT(w *ndr.Writer, h HRESULT) { w.Uint32(uint32(h)) }
func getHRESULT(r *ndr.Reader) HRESULT    { return HRESULT(r.Uint32()) }
func getGUID(r *ndr.Reader) (g ndr.GUID)  { g.UnmarshalNDR(r); return g }
