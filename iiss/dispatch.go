package iiss

import (
	"context"
	"fmt"
	"strings"

	"github.com/iisctl/iisctl/dcom"
	"github.com/iisctl/iisctl/ndr"
)

// DISPIDs of the methods: MIDL's automatic numbering for a dual
// interface (wire-contract §5; our proposal, clients must not hard-code
// them but call GetIDsOfNames).
const (
	DispIDStop   int32 = 0x60020000
	DispIDStart  int32 = 0x60020001
	DispIDReboot int32 = 0x60020002
	DispIDStatus int32 = 0x60020003
	DispIDKill   int32 = 0x60020004
	// DispIDUnknown is DISPID_UNKNOWN, returned for unknown names.
	DispIDUnknown int32 = -1
)

// dispMethod is one automation member. Its parameter names map, in
// GetIDsOfNames, to their position: the DISPIDs of named arguments
// ([MS-OAUT] <55>).
type dispMethod struct {
	name   string
	id     int32
	params []string
}

var dispMethods = []dispMethod{
	{"Stop", DispIDStop, []string{"dwTimeoutMsecs", "dwForce"}},
	{"Start", DispIDStart, []string{"dwTimeoutMsecs"}},
	{"Reboot", DispIDReboot, []string{"dwTimeoutMsecs", "dwForceAppsClosed"}},
	{"Status", DispIDStatus, []string{"dwBufferSize", "pbBuffer", "pdwMDRequiredBufferSize", "pdwNumServices"}},
	{"Kill", DispIDKill, nil},
}

func methodByID(id int32) (dispMethod, bool) {
	for _, m := range dispMethods {
		if m.id == id {
			return m, true
		}
	}
	return dispMethod{}, false
}

// LookupNames implements GetIDsOfNames' mapping ([MS-OAUT] 3.1.4.3):
// names[0] is a method, case-insensitive; the rest are its parameter
// names (the IDL's "dwTimeouMsecs" of Reboot is accepted too). Unknown
// names get DISPID_UNKNOWN and the result DISP_E_UNKNOWNNAME.
func LookupNames(names []string) ([]int32, HRESULT) {
	ids := make([]int32, len(names))
	hr := S_OK
	var m *dispMethod
	for i, n := range names {
		ids[i] = DispIDUnknown
		if i == 0 {
			for j := range dispMethods {
				if strings.EqualFold(dispMethods[j].name, n) {
					m, ids[0] = &dispMethods[j], dispMethods[j].id
				}
			}
		} else if m != nil {
			for k, p := range m.params {
				if strings.EqualFold(p, n) || (m.id == DispIDReboot && k == 0 && strings.EqualFold(n, "dwTimeouMsecs")) {
					ids[i] = int32(k)
				}
			}
		}
		if ids[i] == DispIDUnknown {
			hr = DISP_E_UNKNOWNNAME
		}
	}
	return ids, hr
}

func (s *Server) getTypeInfoCount(c *dcom.Call) error {
	return reply(c.Out, &GetTypeInfoCountResponse{Count: 0, Result: S_OK})
}

func (s *Server) getTypeInfo(c *dcom.Call) error {
	var in GetTypeInfoRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	return reply(c.Out, &GetTypeInfoResponse{Result: DISP_E_BADINDEX})
}

func (s *Server) getIDsOfNames(c *dcom.Call) error {
	var in GetIDsOfNamesRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	var out GetIDsOfNamesResponse
	if !in.RIID.IsZero() {
		out.DispIDs, _ = LookupNames(make([]string, len(in.Names)))
		out.Result = DISP_E_UNKNOWNINTERFACE
	} else {
		out.DispIDs, out.Result = LookupNames(in.Names)
	}
	return reply(c.Out, &out)
}

func (s *Server) invoke(ctx context.Context, c *dcom.Call) error {
	var in InvokeRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	hr, argErr := s.dispatchInvoke(ctx, &in)
	if in.Flags&DISPATCH_zeroArgErr != 0 {
		argErr = 0
	}
	return reply(c.Out, &InvokeResponse{Result: Variant{VT: VT_EMPTY}, ArgErr: argErr, VarRef: in.VarRef, HR: hr})
}

// dispatchInvoke checks and binds the arguments ([MS-OAUT] 3.1.4.4) and
// calls the method; it returns the HRESULT and pArgErr.
func (s *Server) dispatchInvoke(ctx context.Context, in *InvokeRequest) (HRESULT, uint32) {
	if !in.RIID.IsZero() {
		return DISP_E_UNKNOWNINTERFACE, 0
	}
	// VBScript sends METHOD|PROPERTYGET when it uses the result.
	if in.Flags&DISPATCH_METHOD == 0 || in.Flags&(DISPATCH_PROPERTYPUT|DISPATCH_PROPERTYPUTREF) != 0 {
		return DISP_E_MEMBERNOTFOUND, 0
	}
	m, ok := methodByID(in.DispID)
	if !ok {
		return DISP_E_MEMBERNOTFOUND, 0
	}
	src, hr, argErr := bindArgs(len(m.params), in)
	if hr != S_OK {
		return hr, argErr
	}
	if m.id == DispIDStatus {
		// pbBuffer is no automation type: no coercion exists.
		return DISP_E_TYPEMISMATCH, uint32(src[1])
	}
	dw := make([]uint32, len(src))
	for k, i := range src {
		if dw[k], hr = CoerceDWORD(argValue(in, i)); hr != S_OK {
			return hr, uint32(i)
		}
	}
	var err error
	switch m.id {
	case DispIDStop:
		err = s.svc.Stop(ctx, Timeout(dw[0]), dw[1] != 0)
	case DispIDStart:
		err = s.svc.Start(ctx, Timeout(dw[0]))
	case DispIDReboot:
		err = s.svc.Reboot(ctx, Timeout(dw[0]), dw[1] != 0)
	case DispIDKill:
		err = s.svc.Kill(ctx)
	}
	return s.result(m.name, err), 0
}

// bindArgs maps each of n parameters to its index in rgvarg: positional
// arguments are stored last-to-first after the named ones.
func bindArgs(n int, in *InvokeRequest) (src []int, hr HRESULT, argErr uint32) {
	cArgs, cNamed := len(in.Params.Args), len(in.Params.NamedArgs)
	if cNamed > cArgs || cArgs != n {
		return nil, DISP_E_BADPARAMCOUNT, 0
	}
	seen := map[uint32]bool{}
	for _, idx := range in.VarRefIdx {
		if int64(idx) >= int64(cArgs) || seen[idx] {
			return nil, E_INVALIDARG, 0
		}
		seen[idx] = true
	}
	src = make([]int, n)
	for k := range src {
		src[k] = -1
	}
	for i, id := range in.Params.NamedArgs {
		if id < 0 || int(id) >= n || src[id] >= 0 {
			return nil, DISP_E_PARAMNOTFOUND, uint32(i)
		}
		src[id] = i
	}
	pos := cArgs - 1
	for k := range src {
		if src[k] < 0 {
			src[k] = pos
			pos--
		}
	}
	return src, S_OK, 0
}

// argValue is rgvarg[i], or its BYREF value from rgVarRef.
func argValue(in *InvokeRequest, i int) Variant {
	for j, idx := range in.VarRefIdx {
		if int(idx) == i && j < len(in.VarRef) {
			return in.VarRef[j]
		}
	}
	return in.Params.Args[i]
}

// CoerceDWORD converts an argument to a DWORD parameter ([MS-OAUT]
// 3.1.4.4.4): VT_I2, VT_I4, VT_INT (non-negative, else DISP_E_OVERFLOW),
// VT_UI1, VT_UI2, VT_UI4, VT_UINT, VT_BOOL (VARIANT_TRUE -> 1), their
// BYREF forms and VT_VARIANT|VT_BYREF holding one of them. Anything else
// is DISP_E_TYPEMISMATCH.
func CoerceDWORD(v Variant) (uint32, HRESULT) {
	if v.VT == VT_VARIANT|VT_BYREF {
		if v.Ref == nil || v.Ref.VT == VT_VARIANT|VT_BYREF {
			return 0, DISP_E_TYPEMISMATCH
		}
		v = *v.Ref
	}
	switch v.VT &^ VT_BYREF {
	case VT_I2, VT_I4, VT_INT:
		if v.Int < 0 {
			return 0, DISP_E_OVERFLOW
		}
		return uint32(v.Int), S_OK
	case VT_UI1, VT_UI2, VT_UI4, VT_UINT:
		return uint32(v.Int), S_OK
	case VT_BOOL:
		if v.Int != 0 {
			return 1, S_OK
		}
		return 0, S_OK
	}
	return 0, DISP_E_TYPEMISMATCH
}

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
