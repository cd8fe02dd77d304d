// Package iisswire is the wire encoding of IIS ServiceControl ([MS-IISS]
// 3.1.4, 6): the NDR20/NDR64 stubs of opnums 7-11, IDispatch's
// (GetTypeInfoCount, GetTypeInfo, GetIDsOfNames, Invoke: [MS-OAUT]
// 3.1.4) with DISPPARAMS (2.2.33), VARIANT (2.2.29) and BSTR (2.2.23),
// and the STATUS_BLOB ([MS-IISS] 2.2.1, 2.2.2).
//
// It is internal: package iiss is the API. The server semantics (what
// the methods do, GetIDsOfNames' mapping, DWORD coercion) live in iiss;
// this package only encodes and decodes, for iiss and for the tests and
// test clients that speak the wire directly.
package iisswire

import "github.com/iisctl/iisctl/internal/hresult"

// HRESULT is the status code of the stubs ([MS-ERREF] 2.1).
type HRESULT = hresult.HRESULT
