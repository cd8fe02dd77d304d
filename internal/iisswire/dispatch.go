package iisswire

import (
	"fmt"

	"github.com/iisctl/iisctl/ndr"
)

// DISPIDs of the methods: MIDL's automatic numbering for a dual
// interface (0x60020000 upwards in declaration order). [MS-IISS] does not
// give them; clients must not hard-code them but call GetIDsOfNames
// ([MS-OAUT] 3.1.4.3).
const (
	DispIDStop   int32 = 0x60020000
	DispIDStart  int32 = 0x60020001
	DispIDReboot int32 = 0x60020002
	DispIDStatus int32 = 0x60020003
	DispIDKill   int32 = 0x60020004
	// DispIDUnknown is DISPID_UNKNOWN, returned for unknown names.
	DispIDUnknown int32 = -1
)

// Client-side IDispatch helpers.

// EncodeGetIDsOfNamesRequest writes GetIDsOfNames' parameters (riid IID_NULL).
func EncodeGetIDsOfNamesRequest(w *ndr.Writer, names []string, lcid uint32) {
	w.Marshal(&GetIDsOfNamesRequest{Names: names, LCID: lcid})
}

// DecodeGetIDsOfNamesResponse reads the response to a request for n names.
func DecodeGetIDsOfNamesResponse(r *ndr.Reader, n int) ([]int32, HRESULT, error) {
	var p GetIDsOfNamesResponse
	r.Unmarshal(&p)
	if err := r.Err(); err != nil {
		return nil, 0, err
	}
	if len(p.DispIDs) != n {
		return nil, 0, fmt.Errorf("iiss: GetIDsOfNames returned %d DISPIDs for %d names: %w", len(p.DispIDs), n, ndr.ErrMalformed)
	}
	return p.DispIDs, p.Result, nil
}

// MethodCall builds an Invoke request calling dispID as a method with
// args in their natural order (they are stored reversed).
func MethodCall(dispID int32, args ...Variant) *InvokeRequest {
	rev := make([]Variant, len(args))
	for i, a := range args {
		rev[len(args)-1-i] = a
	}
	return &InvokeRequest{DispID: dispID, LCID: 0x409, Flags: DISPATCH_METHOD, Params: DispParams{Args: rev}}
}

// EncodeInvokeRequest writes Invoke's parameters.
func EncodeInvokeRequest(w *ndr.Writer, req *InvokeRequest) { w.Marshal(req) }

// DecodeInvokeResponse reads Invoke's response.
func DecodeInvokeResponse(r *ndr.Reader) (InvokeResponse, error) {
	var p InvokeResponse
	r.Unmarshal(&p)
	return p, r.Err()
}

// VI2, VI4, VUI4, VBool and VBSTR build argument VARIANTs.
func VI2(x int16) Variant   { return Variant{VT: VT_I2, Int: int64(x)} }
func VI4(x int32) Variant   { return Variant{VT: VT_I4, Int: int64(x)} }
func VUI4(x uint32) Variant { return Variant{VT: VT_UI4, Int: int64(x)} }
func VBool(b bool) Variant {
	if b {
		return Variant{VT: VT_BOOL, Int: -1}
	}
	return Variant{VT: VT_BOOL}
}
func VBSTR(s string) Variant { return Variant{VT: VT_BSTR, Str: s} }
