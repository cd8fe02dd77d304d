// Package winclient is test support: a DCOM client shaped like the
// Windows 10 (build 19041) client of the golden capture
// dcom_win10-ws2016_ntlm-integrity_serveralive2-getclassobject-remqi-remrelease.pcap
// in ../shared/captures (MIT, see its README), built from that capture
// rather than from impacket. It takes the road of CoGetClassObject
// ([MS-DCOM] 3.1.2.5.2.3.2, the road of .NET and PowerShell):
//
//   - the activator bind carries raw NTLMSSP (auth type 10) with the
//     capture's NEGOTIATE flags and version (10.0.19041, revision 15) and
//     finishes with AUTH3;
//   - RemoteGetClassObject sends the capture's request stub byte for byte
//     (the six-property activation BLOB with its client context), with
//     only the CLSID changed;
//   - the object exporter bind offers NDR20, NDR64 and bind-time feature
//     negotiation in one bind ([MS-RPCE] 3.3.1.5.3) and authenticates
//     with the capture's SPNEGO NegTokenInit, which offers MS-KRB5, KRB5
//     and NEGOEX before NTLMSSP and carries a Kerberos token: the server
//     has to fall back to NTLM, which then runs in alter_context with the
//     capture's NEGOTIATE flags and a mechListMIC ([MS-SPNG] 3.2.5.1);
//   - the first request on each presentation context carries a
//     verification trailer with rpc_sec_vt_pcontext ([MS-RPCE] 2.2.2.13.4),
//     as Windows sends it;
//   - RemQueryInterface and IClassFactory::CreateInstance replay the
//     capture's stubs with the IPID and the requested IID changed;
//   - NDR64 is offered on every bind, and object calls use whatever the
//     server selects (a DCOM server selects NDR20; Config.NDR64 offers
//     NDR64 alone, which it must refuse); IDispatch is
//     called as VBScript does (GetIDsOfNames, then Invoke with
//     DISPATCH_METHOD and VT_I2/VT_BOOL arguments in reverse order).
//
// Everything goes through our rpc package for framing and protection;
// the independent client is impacket.
package winclient
