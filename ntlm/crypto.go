package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"strings"

	//lint:ignore SA1019 the NT hash is MD4 by definition ([MS-NLMP] 3.3.1); NTLM interoperability needs it
	"golang.org/x/crypto/md4"
)

// NTHash returns NTOWFv1's core, MD4(UTF16LE(password)) (3.3.1). It is
// the password-equivalent secret a users file stores.
func NTHash(password string) [16]byte {
	h := md4.New()
	h.Write(utf16le(password))
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// NTOWFv2 computes HMAC_MD5(ntHash, UNICODE(Uppercase(user) ‖ domain))
// (3.3.2). It is also ResponseKeyNT and ResponseKeyLM.
func NTOWFv2(ntHash [16]byte, user, domain string) [16]byte {
	return hmacMD5(ntHash[:], utf16le(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, parts ...[]byte) [16]byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// blobHeaderLen is the fixed part of NTLMv2_CLIENT_CHALLENGE before the
// AV pairs: RespType, HiRespType, Z(6), TimeStamp, ChallengeFromClient,
// Z(4) (2.2.2.7).
const blobHeaderLen = 28

// ClientBlob builds temp, the NTLMv2_CLIENT_CHALLENGE (3.3.2):
// 0x01 0x01 Z(6) Time ClientChallenge Z(4) AvPairs Z(4), where avPairs
// is an encoded list including MsvAvEOL.
func ClientBlob(filetime uint64, clientChallenge [8]byte, avPairs []byte) []byte {
	b := make([]byte, blobHeaderLen, blobHeaderLen+len(avPairs)+4)
	b[0], b[1] = 1, 1
	copy(b[8:16], u64le(filetime))
	copy(b[16:24], clientChallenge[:])
	b = append(b, avPairs...)
	return append(b, 0, 0, 0, 0)
}

// NTProofStr is HMAC_MD5(ResponseKeyNT, ServerChallenge ‖ temp) (3.3.2).
func NTProofStr(responseKeyNT [16]byte, serverChallenge [8]byte, blob []byte) [16]byte {
	return hmacMD5(responseKeyNT[:], serverChallenge[:], blob)
}

// NTLMv2Response returns NtChallengeResponse = NTProofStr ‖ temp and
// SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr) (3.3.2).
func NTLMv2Response(responseKeyNT [16]byte, serverChallenge [8]byte, blob []byte) (resp []byte, sessionBaseKey [16]byte) {
	proof := NTProofStr(responseKeyNT, serverChallenge, blob)
	resp = append(proof[:], blob...)
	return resp, hmacMD5(responseKeyNT[:], proof[:])
}

// LMv2Response is HMAC_MD5(ResponseKeyLM, ServerChallenge ‖
// ClientChallenge) ‖ ClientChallenge (3.3.2). Clients send Z(24)
// instead when the server sent MsvAvTimestamp.
func LMv2Response(responseKeyLM [16]byte, serverChallenge, clientChallenge [8]byte) []byte {
	h := hmacMD5(responseKeyLM[:], serverChallenge[:], clientChallenge[:])
	return append(h[:], clientChallenge[:]...)
}

// rc4K encrypts data with a fresh RC4 keyed by key (RC4K, section 6).
func rc4K(key, data []byte) []byte {
	c, _ := rc4.NewCipher(key) // key is 5..16 bytes: never an error
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

// EncryptSessionKey is RC4K(KeyExchangeKey, ExportedSessionKey), the
// EncryptedRandomSessionKey (3.1.5.1.2). It is its own inverse.
func EncryptSessionKey(keyExchangeKey, key [16]byte) [16]byte {
	return [16]byte(rc4K(keyExchangeKey[:], key[:]))
}

// ComputeMIC is HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖
// AUTHENTICATE) with the AUTHENTICATE MIC field zeroed (3.1.5.1.2).
// auth is not modified and must be at least 88 bytes (it panics
// otherwise); ParseAuthenticate sets MIC only for such messages.
func ComputeMIC(exportedSessionKey [16]byte, negotiate, challenge, auth []byte) [16]byte {
	h := hmac.New(md5.New, exportedSessionKey[:])
	h.Write(negotiate)
	h.Write(challenge)
	h.Write(auth[:MICOffset])
	h.Write(make([]byte, 16))
	h.Write(auth[MICOffset+16:])
	var out [16]byte
	h.Sum(out[:0])
	return out
}

// Magic constants of SIGNKEY and SEALKEY, NUL included (3.4.5.2-3).
const (
	clientSignMagic = "session key to client-to-server signing key magic constant\x00"
	serverSignMagic = "session key to server-to-client signing key magic constant\x00"
	clientSealMagic = "session key to client-to-server sealing key magic constant\x00"
	serverSealMagic = "session key to server-to-client sealing key magic constant\x00"
)

// SignKey is SIGNKEY with extended session security (3.4.5.2).
func SignKey(exportedSessionKey [16]byte, client bool) [16]byte {
	magic := serverSignMagic
	if client {
		magic = clientSignMagic
	}
	return md5.Sum(append(exportedSessionKey[:], magic...))
}

// SealKey is SEALKEY with extended session security (3.4.5.3): the
// session key is cut to 16, 7 or 5 bytes for NEGOTIATE_128, _56 or
// neither, then hashed with the direction's magic constant.
func SealKey(flags NegotiateFlags, exportedSessionKey [16]byte, client bool) [16]byte {
	key := exportedSessionKey[:]
	switch {
	case flags.Has(Negotiate128):
	case flags.Has(Negotiate56):
		key = key[:7]
	default:
		key = key[:5]
	}
	magic := serverSealMagic
	if client {
		magic = clientSealMagic
	}
	return md5.Sum(append(append([]byte(nil), key...), magic...))
}

// keyExchanged reports whether the AUTHENTICATE_MESSAGE carries an
// EncryptedRandomSessionKey: KEY_EXCH with SIGN or SEAL (3.1.5.1.2).
func keyExchanged(flags NegotiateFlags) bool {
	return flags.Has(NegotiateKeyExch) && (flags.Has(NegotiateSign) || flags.Has(NegotiateSeal))
}
