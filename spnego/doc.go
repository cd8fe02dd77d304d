// Package spnego implements the Simple and Protected GSS-API Negotiation
// Mechanism as Windows uses it for DCE/RPC auth type 9
// (RPC_C_AUTHN_GSS_NEGOTIATE), negotiating NTLM or Kerberos (kerberos.go
// describes the Kerberos exchange: optimistic AP-REQ, supportedMech echo,
// DCE third leg, mechListMIC, NTLM fallback).
//
// References:
//   - RFC 4178 §4.1 (mechanism OIDs and MechTypeList), §4.2.1 (NegTokenInit),
//     §4.2.2 (NegTokenResp and negState), §5 (mechListMIC processing),
//     Appendix A (the GSS-API initial-token framing, RFC 2743 §3.1).
//   - [MS-SPNG] 2.2.1 (NegTokenInit2 and negHints, accepted on decode),
//     3.1.5.1 and <8> (when the mechListMIC is mandatory), 3.1.5.3 (reqFlags
//     ignored), 3.2.5 (acceptor), 3.2.5.1 and 3.3.5.1 (the NTLM RC4 handles
//     are reset after the mechListMIC so that the first application message
//     sees the same key state), 3.3.5 (a later supportedMech is ignored),
//     section 4 (annotated NegTokenInit2).
//   - [MS-RPCE] 3.3.1.5.2: with SPNEGO the handshake has an even number of
//     legs: bind(Init+NEGOTIATE), bind_ack(Resp CHALLENGE),
//     alter_context(Resp AUTHENTICATE+mechListMIC),
//     alter_context_resp(Resp accept-completed+mechListMIC). No auth3.
//
// Codec: DecodeInit/DecodeResp/Decode parse tokens with a hand-written DER
// reader that never panics and allocates at most in proportion to the
// input; (*NegTokenInit).Marshal and (*NegTokenResp).Marshal emit DER.
//
// Contexts: NewClient and NewServer wrap a Mech (normally an NTLM context)
// and satisfy rpc.SecurityContext. Without a Kerberos acceptor
// (NewServerWithKerberos) the acceptor selects NTLMSSP
// (1.3.6.1.4.1.311.2.2.10) whatever the client lists first; an optimistic
// Kerberos or NEGOEX token is answered with accept-incomplete and
// supportedMech NTLM and no token, and the next token must carry the NTLM
// NEGOTIATE. After the mechListMIC exchange both RC4 handles are reset and
// the sequence numbers are kept, so the first request and response use
// sequence number 1 ([MS-SPNG] 3.2.5.1, 3.3.5.1; Samba
// gensec_may_reset_crypto).
//
// The acceptor requires the client's mechListMIC when NTLM was not the
// client's first mechanism, or when the Mech reports (optional method
// MICPresent() bool) that the AUTHENTICATE_MESSAGE carried an NTLM MIC
// ([MS-SPNG] <8>); a MIC that is present is always verified. On any error
// the acceptor's Step also returns a negTokenResp{reject} token.
//
// The initiator accepts a final accept-completed without mechListMIC
// unless the acceptor asked for one (request-mic); it resets the RC4
// handles in either case.
//
// A first token that is a raw NTLMSSP message instead of SPNEGO is passed
// through to the Mech unchanged for the whole exchange (Samba's fallback).
package spnego
