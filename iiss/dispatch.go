package iiss

import (
	"context"
	"strings"

	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/internal/iisswire"
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
	{"Stop", iisswire.DispIDStop, []string{"dwTimeoutMsecs", "dwForce"}},
	{"Start", iisswire.DispIDStart, []string{"dwTimeoutMsecs"}},
	{"Reboot", iisswire.DispIDReboot, []string{"dwTimeoutMsecs", "dwForceAppsClosed"}},
	{"Status", iisswire.DispIDStatus, []string{"dwBufferSize", "pbBuffer", "pdwMDRequiredBufferSize", "pdwNumServices"}},
	{"Kill", iisswire.DispIDKill, nil},
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
func lookupNames(names []string) ([]int32, HRESULT) {
	ids := make([]int32, len(names))
	hr := S_OK
	var m *dispMethod
	for i, n := range names {
		ids[i] = iisswire.DispIDUnknown
		if i == 0 {
			for j := range dispMethods {
				if strings.EqualFold(dispMethods[j].name, n) {
					m, ids[0] = &dispMethods[j], dispMethods[j].id
				}
			}
		} else if m != nil {
			for k, p := range m.params {
				if strings.EqualFold(p, n) || (m.id == iisswire.DispIDReboot && k == 0 && strings.EqualFold(n, "dwTimeouMsecs")) {
					ids[i] = int32(k)
				}
			}
		}
		if ids[i] == iisswire.DispIDUnknown {
			hr = hresult.DISP_E_UNKNOWNNAME
		}
	}
	return ids, hr
}

func (s *object) getTypeInfoCount(c *dcom.Call) error {
	return reply(c.Out, &iisswire.GetTypeInfoCountResponse{Count: 0, Result: S_OK})
}

func (s *object) getTypeInfo(c *dcom.Call) error {
	var in iisswire.GetTypeInfoRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	return reply(c.Out, &iisswire.GetTypeInfoResponse{Result: hresult.DISP_E_BADINDEX})
}

func (s *object) getIDsOfNames(c *dcom.Call) error {
	var in iisswire.GetIDsOfNamesRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	var out iisswire.GetIDsOfNamesResponse
	if !in.RIID.IsZero() {
		out.DispIDs, _ = lookupNames(make([]string, len(in.Names)))
		out.Result = hresult.DISP_E_UNKNOWNINTERFACE
	} else {
		out.DispIDs, out.Result = lookupNames(in.Names)
	}
	return reply(c.Out, &out)
}

func (s *object) invoke(ctx context.Context, c *dcom.Call) error {
	var in iisswire.InvokeRequest
	if err := decode(c.In, &in); err != nil {
		return err
	}
	hr, argErr := s.dispatchInvoke(ctx, &in)
	if in.Flags&iisswire.DISPATCH_zeroArgErr != 0 {
		argErr = 0
	}
	return reply(c.Out, &iisswire.InvokeResponse{Result: iisswire.Variant{VT: iisswire.VT_EMPTY}, ArgErr: argErr, VarRef: in.VarRef, HR: hr})
}

// dispatchInvoke checks and binds the arguments ([MS-OAUT] 3.1.4.4) and
// calls the method; it returns the HRESULT and pArgErr.
func (s *object) dispatchInvoke(ctx context.Context, in *iisswire.InvokeRequest) (HRESULT, uint32) {
	if !in.RIID.IsZero() {
		return hresult.DISP_E_UNKNOWNINTERFACE, 0
	}
	// VBScript sends METHOD|PROPERTYGET when it uses the result.
	if in.Flags&iisswire.DISPATCH_METHOD == 0 || in.Flags&(iisswire.DISPATCH_PROPERTYPUT|iisswire.DISPATCH_PROPERTYPUTREF) != 0 {
		return hresult.DISP_E_MEMBERNOTFOUND, 0
	}
	m, ok := methodByID(in.DispID)
	if !ok {
		return hresult.DISP_E_MEMBERNOTFOUND, 0
	}
	src, hr, argErr := bindArgs(len(m.params), in)
	if hr != S_OK {
		return hr, argErr
	}
	if m.id == iisswire.DispIDStatus {
		// pbBuffer is no automation type: no coercion exists.
		return hresult.DISP_E_TYPEMISMATCH, uint32(src[1])
	}
	dw := make([]uint32, len(src))
	for k, i := range src {
		if dw[k], hr = coerceDWORD(argValue(in, i)); hr != S_OK {
			return hr, uint32(i)
		}
	}
	var err error
	switch m.id {
	case iisswire.DispIDStop:
		err = s.svc.Stop(ctx, iisswire.Timeout(dw[0]), dw[1] != 0)
	case iisswire.DispIDStart:
		err = s.svc.Start(ctx, iisswire.Timeout(dw[0]))
	case iisswire.DispIDReboot:
		err = s.svc.Reboot(ctx, iisswire.Timeout(dw[0]), dw[1] != 0)
	case iisswire.DispIDKill:
		err = s.svc.Kill(ctx)
	}
	return s.result(m.name, err), 0
}

// bindArgs maps each of n parameters to its index in rgvarg: positional
// arguments are stored last-to-first after the named ones.
func bindArgs(n int, in *iisswire.InvokeRequest) (src []int, hr HRESULT, argErr uint32) {
	cArgs, cNamed := len(in.Params.Args), len(in.Params.NamedArgs)
	if cNamed > cArgs || cArgs != n {
		return nil, hresult.DISP_E_BADPARAMCOUNT, 0
	}
	seen := map[uint32]bool{}
	for _, idx := range in.VarRefIdx {
		if int64(idx) >= int64(cArgs) || seen[idx] {
			return nil, hresult.E_INVALIDARG, 0
		}
		seen[idx] = true
	}
	src = make([]int, n)
	for k := range src {
		src[k] = -1
	}
	for i, id := range in.Params.NamedArgs {
		if id < 0 || int(id) >= n || src[id] >= 0 {
			return nil, hresult.DISP_E_PARAMNOTFOUND, uint32(i)
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
func argValue(in *iisswire.InvokeRequest, i int) iisswire.Variant {
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
func coerceDWORD(v iisswire.Variant) (uint32, HRESULT) {
	if v.VT == iisswire.VT_VARIANT|iisswire.VT_BYREF {
		if v.Ref == nil || v.Ref.VT == iisswire.VT_VARIANT|iisswire.VT_BYREF {
			return 0, hresult.DISP_E_TYPEMISMATCH
		}
		v = *v.Ref
	}
	switch v.VT &^ iisswire.VT_BYREF {
	case iisswire.VT_I2, iisswire.VT_I4, iisswire.VT_INT:
		if v.Int < 0 {
			return 0, hresult.DISP_E_OVERFLOW
		}
		return uint32(v.Int), S_OK
	case iisswire.VT_UI1, iisswire.VT_UI2, iisswire.VT_UI4, iisswire.VT_UINT:
		return uint32(v.Int), S_OK
	case iisswire.VT_BOOL:
		if v.Int != 0 {
			return 1, S_OK
		}
		return 0, S_OK
	}
	return 0, hresult.DISP_E_TYPEMISMATCH
}
