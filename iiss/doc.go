// Package iiss controls and serves the Internet Information Services (IIS)
// ServiceControl Protocol ([MS-IISS]): the interface iisreset uses to
// stop, start, restart, kill and query a computer's Internet services
// over DCOM.
//
// # Controlling a server
//
// [Dial] connects to a Windows IIS host or to iissd and returns a
// [Client], whose methods are the protocol's: Stop, Start, Reboot,
// Status and Kill ([MS-IISS] 3.1.4.1-5), plus Restart (Stop then Start,
// as iisreset /RESTART does):
//
//	c, err := iiss.Dial(ctx, "web01", iiss.ClientConfig{
//		Credentials: iiss.Credentials{Domain: "CORP", User: "admin", Password: pw},
//	})
//	if err != nil { ... }
//	defer c.Close()
//	err = c.Restart(ctx, time.Minute, true)
//
// # Errors
//
// Every failure has a [Kind] ([Classify]) and matches sentinels with
// errors.Is: [ErrLogonFailure] (wrong user or password), [ErrAccessDenied]
// (not an administrator), [ErrUnreachable] (with the finer
// [ErrHostNotFound], [ErrDialTimeout], [ErrNotRPC], [ErrWrongPort]),
// [ErrConnectionClosed], [ErrTimeout], [ErrResourceDisabled] (remote
// control switched off with iisreset /DISABLE), [ErrNotImpl]. A server's
// answer is an [HRESULT] ([MS-ERREF] 2.1) in the error chain; [AsHRESULT]
// gives the code Windows reports for any failure.
//
// # Serving
//
// [NewServer] assembles what a Windows client needs to find and call the
// interface: the DCOM activator and OXID resolver, the object exporter,
// and the IIisServiceControl class, answering IDispatch too ([MS-OAUT]
// 3.1.4, so scripts can call it), with NTLM and SPNEGO logons and packet
// privacy ([MS-IISS] 2.1). The calls go to a [Service]: [Local]
// implements the server semantics ([MS-IISS] 3.1.4.1-5: graceful stop
// then kill when forced, ERROR_SERVICE_REQUEST_TIMEOUT, Reboot E_NOTIMPL
// unless a [Rebooter] is given) over a svc.Manager, with the local
// disable switch ([DisableState], [FileDisableState]) and auditing
// ([Auditor], [NewJSONAuditor]).
//
// # Stability
//
// The exported API of this package follows semantic versioning: from
// v1.0.0 on, names are not removed or changed and only fields, options
// and Kinds are added; before v1.0.0 (now), an incompatible change is
// called out in its commit message. Config structs are the extension
// point: their zero values keep meaning the defaults. The wire encoding
// (internal/iisswire, internal/dcom) is not part of the API. Kind.String
// values and iisctl's exit codes are stable.
//
// Decisions where the documents are silent are recorded on the
// declarations they affect: Local's mapping of start failures and
// unreadable disable switches, the Status buffer bound, the STATUS_BLOB
// offset unit (WCHARs, as [MS-IISS] 2.2.1 says, though the 4.1 example
// counts bytes: both are read), Invoke's treatment of negative integers
// (DISP_E_OVERFLOW) and of BSTRs (no coercion).
package iiss
