// Package ntlm implements the NT LAN Manager authentication protocol,
// NTLMv2 only, as both initiator (Client) and acceptor (Server), with
// NTLM session security for DCE/RPC integrity and privacy.
//
// Sections of [MS-NLMP] implemented:
//
//   - 2.2.1.1-3 NEGOTIATE, CHALLENGE and AUTHENTICATE messages
//     (ParseNegotiate, ParseChallenge, ParseAuthenticate and Marshal),
//     including VERSION (2.2.2.10) and the MIC at offset 72.
//   - 2.2.2.1 AV_PAIR lists (AvPairs), 2.2.2.5 flags (NegotiateFlags),
//     2.2.2.7-8 NTLMv2_CLIENT_CHALLENGE and NTLMv2_RESPONSE.
//   - 3.1.5.1 client processing, 3.2.5.1 server processing, including the
//     empty-domain retry, MIC verification and the MaxLifetime check.
//   - 3.3.2 NTOWFv2, NTLMv2 and LMv2 responses, SessionBaseKey.
//   - 3.4.3 SEAL, 3.4.4.2 MAC with extended session security,
//     3.4.5.1-3 KXKEY, SIGNKEY, SEALKEY (128/56/40 bits),
//     3.4.6-9 GSS_WrapEx, GSS_UnwrapEx, GSS_GetMICEx, GSS_VerifyMICEx.
//
// Policy: NTLMv1 and LM responses (NtChallengeResponse of 24 bytes or
// less), anonymous logons and peers without extended session security
// are refused. Connectionless (datagram) NTLM, LM_KEY, NTLMv1 session
// security, channel-binding and target-name enforcement are not
// implemented; MsvAvChannelBindings and MsvAvTargetName are parsed but
// not checked.
//
// Client and Server satisfy rpc.SecurityContext structurally. Each has
// one RC4 handle per direction that lives for the whole context, and
// per-direction sequence numbers starting at 0. SPNEGO uses GetMIC and
// VerifyMIC for mechListMIC, then ResetCrypto ([MS-SPNG] 3.2.5.1).
//
// Responses are checked by a Verifier: LocalVerifier recomputes them from
// a CredentialSource (UsersFile is a file-backed one whose contents are
// password-equivalent), and a pass-through verifier (internal/winbind)
// hands them to a domain controller, which returns the SessionBaseKey
// ([MS-APDS] 3.1.5.1: NTLM network logons validated by the DC).
package ntlm
