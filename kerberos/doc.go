// Package kerberos is the Kerberos V5 GSS-API mechanism as DCE/RPC uses it
// (auth type 16, RPC_C_AUTHN_GSS_KERBEROS, and inside SPNEGO), both as
// initiator and acceptor.
//
// gokrb5 (github.com/jcmturner/gokrb5/v8) does the Kerberos plumbing:
// krb5.conf, keytab and ccache files, the AS and TGS exchanges, the
// RFC 3961/3962 encryption types, RC4-HMAC keys and PAC decoding. This
// package writes what gokrb5 lacks:
//
//   - DCE-style mutual authentication ([MS-KILE] 3.4.5.1): the AP-REQ is
//     sent without the GSS-API framing of RFC 2743 3.1 (a framed one is
//     accepted too, RFC 4121 4.1), the authenticator carries the RFC 4121
//     4.1.1 checksum (type 0x8003) with GSS_C_DCE_STYLE (RFC 4757 7.1), the
//     acceptor answers with an AP-REP (RFC 4120 5.5.2) carrying a subkey
//     and its sequence number, and the initiator sends a third leg: an
//     AP-REP echoing the acceptor's sequence number. Each side then sends
//     with its own initial sequence number (the AP-REQ's, the AP-REP's).
//   - Per-message tokens, GSS_GetMICEx/GSS_WrapEx and their inverses
//     ([MS-KILE] 3.4.5.4-3.4.5.7): for AES128/AES256-CTS-HMAC-SHA1-96 the
//     RFC 4121 4.2.6 MIC and Wrap tokens, the wrap token with EC=16, RRC=28
//     and the ciphertext rotated by RRC+EC so that the stub is encrypted in
//     place ([MS-KILE] 3.4.5.4.1); for RC4-HMAC the RFC 4757 7.2/7.3 tokens
//     behind the RFC 1964 framing whose length excludes the data (DCE
//     style: 37-byte MIC and 45-byte wrap verifiers, as Heimdal and impacket
//     send; bare tokens are accepted too). The checksum covers the buffers the caller
//     marks as signed: the RPC layer passes the whole PDU when header
//     signing was negotiated and the stub alone otherwise ([MS-RPCE]
//     3.3.1.5.2.2). Sequence numbers are checked strictly (a replayed or
//     reordered token fails).
//   - Acceptor checks of RFC 4120 3.2.3: ticket decrypted with the keytab
//     (KRB_AP_ERR_MODIFIED for a wrong key, KRB_AP_ERR_NOKEY or
//     KRB_AP_ERR_NOT_US for a principal we do not serve), ticket times
//     (KRB_AP_ERR_TKT_EXPIRED, KRB_AP_ERR_TKT_NYV), clock skew
//     (KRB_AP_ERR_SKEW, 5 minutes by default), replayed authenticators
//     (KRB_AP_ERR_REPEAT, a bounded in-memory replay cache), and the PAC
//     ([MS-KILE] 3.4.5.3; [MS-PAC]) when present, whose group SIDs are
//     returned in Identity.
//
// [MS-KILE] 4.4 (AES128 key creation) and 4.5 (RC4 GSS_WrapEx) are table
// tests; 4.3 (AES GSS_WrapEx with sign-only and encrypted buffers) is a
// layout test.
//
// References: [MS-KILE] 3.4.5, 4.3-4.5; [MS-RPCE] 3.3.1.5.2.2; RFC 4120
// 3.2, 5.5; RFC 4121 4.1, 4.2; RFC 3961 5.3; RFC 3962; RFC 4757 7.
package kerberos
