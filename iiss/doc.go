// Package iiss implements the Internet Information Services (IIS)
// ServiceControl Protocol ([MS-IISS]): IIisServiceControl, a dual DCOM
// interface deriving from IDispatch, both sides, except the DCOM
// transport.
//
//   - [Service] is the protocol as Go sees it (Stop/Start/Reboot/Status/
//     Kill, [MS-IISS] 3.1.4.1-5). [Local] implements it over a svc.Manager
//     with the server semantics: graceful stop then kill when forced,
//     ERROR_SERVICE_REQUEST_TIMEOUT, Reboot E_NOTIMPL unless a [Rebooter]
//     is given, the local disable switch ([DisableState],
//     [FileDisableState]) and auditing ([Auditor], [NewJSONAuditor]).
//     [Client] implements it over a [ClientConn] (the DCOM wire client);
//     iisstest.Fake in memory; iisstest.TestService is the contract.
//   - [HRESULT] ([MS-ERREF] 2.1) is the error type for server answers.
//   - STATUS_BLOB ([MS-IISS] 2.2.1, 2.2.2): [EncodeStatusBlob] writes
//     WCHAR offsets as 2.2.1 requires; [DecodeStatusBlob] also reads the
//     byte offsets of the 4.1 example (wire-contract §6, §9.1).
//   - Wire stubs for opnums 7-11 ([MS-IISS] 3.1.4, 6) in NDR20 and NDR64:
//     [StopRequest] … [StatusResponse], client helpers ([EncodeStopRequest],
//     [DecodeStatusResponse], [FetchStatus] with the retry of 4.1 and
//     wire-contract §9.2).
//   - IDispatch, opnums 3-6 ([MS-OAUT] 3.1.4): GetTypeInfoCount 0,
//     GetTypeInfo NULL + DISP_E_BADINDEX, GetIDsOfNames (3.1.4.3) with
//     DISPIDs 0x60020000-4 and parameter names mapped to their position,
//     Invoke (3.1.4.4) over DISPPARAMS (2.2.33) and wireVARIANT
//     (2.2.29.1) with BSTR (2.2.23) and BYREF arguments, coercing to DWORD
//     (3.1.4.4.4). Status is not invokable: DISP_E_TYPEMISMATCH.
//   - [Server] is the dcom.Object: it decodes, calls the Service with the
//     caller in ctx ([WithCaller]) and encodes the answer; decoding
//     failures and unknown opnums become RPC faults.
//
// Decisions where the documents are silent are recorded on the
// declarations they affect: Local's mapping of start failures and
// unreadable disable switches, the Status buffer bound, Invoke's
// treatment of negative integers (DISP_E_OVERFLOW) and of BSTRs (no
// coercion).
package iiss
