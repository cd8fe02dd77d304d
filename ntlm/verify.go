package ntlm

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/iisctl/iisctl/rpc"
)

// Logon is an NTLMv2 network logon as the acceptor received it: what a
// Verifier needs to check the response and compute the SessionBaseKey
// (3.2.5.1.2, 3.3.2). A pass-through verifier sends exactly these fields
// to a domain controller ([MS-APDS] 3.1.5.1, NETLOGON_NETWORK_INFO in
// [MS-NRPC] 2.2.1.4.6).
type Logon struct {
	User, Domain, Workstation string // as the client sent them
	ServerChallenge           [8]byte
	// NtChallengeResponse is the client's NTLMv2_RESPONSE: NTProofStr
	// followed by the NTLMv2_CLIENT_CHALLENGE (2.2.2.8). The acceptor has
	// already checked that it is NTLMv2.
	NtChallengeResponse []byte
	LmChallengeResponse []byte
}

// Verified is a successful logon: the SessionBaseKey (3.3.2) and who the
// client is, with the admin bit that rpc.Peer reports.
type Verified struct {
	SessionBaseKey [16]byte
	Peer           rpc.Peer
}

// Verifier checks an NTLMv2 response: locally against an NT hash
// (LocalVerifier), or by passing it to a domain controller. A refusal
// wraps ErrLogonFailure (with the reason when the verifier knows it);
// errors from Verify fail the handshake and are logged by the RPC layer.
// Verify may block (a domain controller round trip) and must honour ctx.
type Verifier interface {
	Verify(ctx context.Context, l *Logon) (Verified, error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, l *Logon) (Verified, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, l *Logon) (Verified, error) { return f(ctx, l) }

// LocalVerifier verifies responses against the NT hashes of creds.
func LocalVerifier(creds CredentialSource) Verifier { return localVerifier{creds} }

type localVerifier struct{ creds CredentialSource }

// Verify recomputes NTProofStr with the domain as sent and, per
// 3.2.5.1.2, with an empty domain. Unknown users go through the same
// computation against a dummy key so both failures look alike.
func (v localVerifier) Verify(ctx context.Context, l *Logon) (Verified, error) {
	acct, found := v.creds.Lookup(l.User, l.Domain)
	proofSent, temp := l.NtChallengeResponse[:16], l.NtChallengeResponse[16:]
	ok := 0
	var base [16]byte
	for _, dom := range [2]string{l.Domain, ""} {
		key := NTOWFv2(acct.NTHash, l.User, dom)
		proof := NTProofStr(key, l.ServerChallenge, temp)
		if subtle.ConstantTimeCompare(proof[:], proofSent) == 1 && ok == 0 {
			ok = 1
			base = hmacMD5(key[:], proof[:])
		}
	}
	if !found || ok == 0 {
		// The claimed account is logged (as Windows' event 4625 does),
		// quoted: it is the peer's text. Which failure it was is not.
		return Verified{}, fmt.Errorf("%w for %q", ErrLogonFailure, l.Domain+`\`+l.User)
	}
	return Verified{SessionBaseKey: base, Peer: rpc.Peer{User: l.User, Domain: l.Domain, Admin: acct.Admin}}, nil
}
