// Package hresult is the one HRESULT type of the project ([MS-ERREF]
// 2.1): DCOM, IDispatch and IIS ServiceControl status codes. Packages
// dcom and iiss expose it as dcom.HRESULT and iiss.HRESULT (aliases), so
// an HRESULT from any layer matches any sentinel with errors.Is.
package hresult
