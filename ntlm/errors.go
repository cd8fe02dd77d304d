package ntlm

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these, so
// callers test them with errors.Is.
var (
	// ErrMalformed: a message is truncated, has an out-of-range payload
	// field, a bad signature or an unexpected message type (2.2).
	ErrMalformed = errors.New("ntlm: malformed message")
	// ErrLogonFailure: wrong password or unknown account. The two cases
	// are deliberately indistinguishable (3.2.5.1.2).
	ErrLogonFailure = errors.New("ntlm: logon failure")
	// ErrMICMismatch: the AUTHENTICATE_MESSAGE MIC does not verify (3.2.5.1.2).
	ErrMICMismatch = errors.New("ntlm: MIC mismatch")
	// ErrMICRequired: the acceptor requires a MIC and the client sent none.
	ErrMICRequired = errors.New("ntlm: MIC required")
	// ErrNTLMv1Refused: an NTLMv1 or LM-only response (NtChallengeResponse
	// of 24 bytes or less); only NTLMv2 is accepted (3.3.1).
	ErrNTLMv1Refused = errors.New("ntlm: NTLMv1/LM response refused")
	// ErrESSRequired: the peer did not negotiate extended session security.
	ErrESSRequired = errors.New("ntlm: extended session security required")
	// ErrAnonymousRefused: anonymous authentication (3.2.5.1.2) is refused.
	ErrAnonymousRefused = errors.New("ntlm: anonymous authentication refused")
	// ErrTimeSkew: the NTLMv2 timestamp is more than MaxSkew from now.
	ErrTimeSkew = errors.New("ntlm: timestamp outside allowed clock skew")
	// ErrUnexpectedStep: Step was called in a state that does not accept
	// the given token (or after the context failed or completed).
	ErrUnexpectedStep = errors.New("ntlm: unexpected handshake step")
	// ErrNotEstablished: per-message protection before the handshake ended.
	ErrNotEstablished = errors.New("ntlm: security context not established")
	// ErrNotNegotiated: Sign/Seal requested but SIGN/SEAL was not negotiated.
	ErrNotNegotiated = errors.New("ntlm: protection not negotiated")
	// ErrBadSignature: a message signature does not verify (3.4.4).
	ErrBadSignature = errors.New("ntlm: bad message signature")
	// ErrSequence: a message signature carries an unexpected sequence
	// number (replayed, skipped or reordered, 3.4.4).
	ErrSequence = errors.New("ntlm: unexpected sequence number")
	// ErrInsecureFile: a users file is accessible by group or others.
	ErrInsecureFile = errors.New("ntlm: users file permissions too open")
	// ErrUserExists / ErrNoSuchUser: UsersFile editing errors.
	ErrUserExists = errors.New("ntlm: user already exists")
	ErrNoSuchUser = errors.New("ntlm: no such user")
)
