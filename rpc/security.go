package rpc

import "context"

// AuthType is the auth_type of a sec_trailer ([MS-RPCE] 2.2.1.1.7).
type AuthType uint8

// Authentication services used by this stack.
const (
	AuthTypeNone   AuthType = 0x00
	AuthTypeSPNEGO AuthType = 0x09 // RPC_C_AUTHN_GSS_NEGOTIATE
	AuthTypeNTLM   AuthType = 0x0A // RPC_C_AUTHN_WINNT
	// AuthTypeKerberos is RPC_C_AUTHN_GSS_KERBEROS ([MS-RPCE] 2.2.1.1.7).
	AuthTypeKerberos AuthType = 0x10
)

// AuthLevel is the auth_level of a sec_trailer ([MS-RPCE] 2.2.1.1.8).
type AuthLevel uint8

// Authentication levels. Level 3 (call) is treated as packet (4).
const (
	AuthLevelDefault   AuthLevel = 0
	AuthLevelNone      AuthLevel = 1
	AuthLevelConnect   AuthLevel = 2
	AuthLevelCall      AuthLevel = 3
	AuthLevelPkt       AuthLevel = 4
	AuthLevelIntegrity AuthLevel = 5
	AuthLevelPrivacy   AuthLevel = 6
)

// SecurityContext is one side of a GSS-style security context (NTLM, or
// NTLM inside SPNEGO) as the RPC layer drives it. The ntlm and spnego
// packages satisfy it structurally; neither imports rpc.
//
// Handshake: the initiator calls Step(nil) for its first token, then
// Step(peerToken) for every token the acceptor sends. The acceptor calls
// Step(peerToken) for every token it receives. Step returns the token to
// send (nil when there is none) and done once the context is established.
// In DCE/RPC ([MS-RPCE] 3.3.1.5.2): an initiator whose Step returns done
// with a token sends it in auth3 (NTLM, 3 legs); one that returns a token
// and !done sends alter_context and steps again with the answer (SPNEGO).
//
// Per-message protection ([MS-NLMP] 3.4.3, 3.4.4; [MS-RPCE] 2.2.2.11):
// msg is the whole PDU as signed (header, body, auth padding, sec_trailer,
// without the token). For sealing, data is the sub-slice of msg holding
// body and padding; it is encrypted or decrypted in place. The MAC is
// always computed over the plaintext of msg.
type SecurityContext interface {
	Step(ctx context.Context, in []byte) (out []byte, done bool, err error)
	// SignatureSize is the length of the verifier Sign and Seal return (16 for NTLM).
	SignatureSize() int
	Sign(msg []byte) (sig []byte, err error)
	Verify(msg, sig []byte) error
	Seal(msg, data []byte) (sig []byte, err error)
	Unseal(msg, data, sig []byte) error
	// Peer reports the authenticated peer after the acceptor's handshake:
	// user and domain as the client sent them, and whether the credential
	// source marks the account as an administrator.
	Peer() Peer
}

// SealSizer is implemented by contexts whose sealed verifier differs in
// size from the signed one (Kerberos: RFC 4121 wrap token 76 bytes, MIC
// 28). The RPC layer reserves SealSize bytes at privacy.
type SealSizer interface{ SealSize() int }

// HeaderSignOptional is implemented by contexts (Kerberos) whose checksum
// covers exactly the bytes passed: the RPC layer then passes the whole PDU
// only when header signing was negotiated (PFC_SUPPORT_HEADER_SIGN in the
// first bind or alter_context and its answer) and the body alone
// otherwise ([MS-RPCE] 3.3.1.5.2.2). NTLM signs the whole PDU either way.
type HeaderSignOptional interface{ HeaderSignOptional() bool }

// Peer is the identity an acceptor established.
type Peer struct {
	User   string
	Domain string
	Admin  bool
	// Mech names the mechanism that authenticated the peer: "NTLM" or
	// "Kerberos" (the RPC server fills it in from the auth type, asking a
	// SPNEGO context which mechanism it negotiated).
	Mech string
}

// MechNamer is implemented by contexts that negotiate a mechanism (SPNEGO).
type MechNamer interface{ MechName() string }

// MechName names the mechanism of an auth type, asking sc for SPNEGO.
func MechName(t AuthType, sc SecurityContext) string {
	switch t {
	case AuthTypeNTLM:
		return "NTLM"
	case AuthTypeKerberos:
		return "Kerberos"
	}
	if m, ok := sc.(MechNamer); ok {
		return m.MechName()
	}
	return "SPNEGO"
}

// Authenticated reports whether the peer has a user name.
func (p Peer) Authenticated() bool { return p.User != "" }

// String renders DOMAIN\user, or "anonymous".
func (p Peer) String() string {
	if p.User == "" {
		return "anonymous"
	}
	if p.Domain == "" {
		return p.User
	}
	return p.Domain + `\` + p.User
}

// Acceptor creates server-side security contexts for one auth type.
type Acceptor interface {
	AuthType() AuthType
	NewServerContext() (SecurityContext, error)
}

// Initiator creates client-side security contexts for one auth type.
type Initiator interface {
	AuthType() AuthType
	NewClientContext() (SecurityContext, error)
}
