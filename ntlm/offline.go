package ntlm

import (
	"crypto/subtle"
)

// SessionFromHandshake rebuilds the session security of a recorded
// handshake from its CHALLENGE and AUTHENTICATE messages and the
// client's NT hash, as a network analyzer would. client selects which
// end the returned Session plays (its Sign/Seal use that end's outgoing
// keys). It verifies NTProofStr (with the domain as sent, then empty,
// 3.2.5.1.2) and returns ErrLogonFailure if the hash is wrong. It is
// meant for tests and diagnostics (decrypting captures); it does not
// check the MIC or the timestamp.
func SessionFromHandshake(challenge, authenticate []byte, ntHash [16]byte, client bool) (*Session, error) {
	chal, err := ParseChallenge(challenge)
	if err != nil {
		return nil, err
	}
	auth, err := ParseAuthenticate(authenticate)
	if err != nil {
		return nil, err
	}
	blob, err := parseNTLMv2(auth.NtChallengeResponse)
	if err != nil {
		return nil, err
	}
	flags := auth.Flags & chal.Flags
	for _, dom := range [2]string{auth.Domain, ""} {
		key := NTOWFv2(ntHash, auth.User, dom)
		proof := NTProofStr(key, chal.ServerChallenge, blob.temp)
		if subtle.ConstantTimeCompare(proof[:], blob.proof) != 1 {
			continue
		}
		exported := hmacMD5(key[:], proof[:])
		if keyExchanged(flags) && len(auth.EncryptedRandomSessionKey) == 16 {
			exported = EncryptSessionKey(exported, [16]byte(auth.EncryptedRandomSessionKey))
		}
		s := &Session{}
		s.init(flags, exported, client)
		return s, nil
	}
	return nil, ErrLogonFailure
}
