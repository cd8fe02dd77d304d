package kerberos

import (
	"crypto/cipher"
	"errors"
)

// AES-CTS as RFC 3962 5 defines it for Kerberos (CBC with ciphertext
// stealing, the last two blocks swapped, zero IV), on a cached
// cipher.Block so that per-message tokens allocate only their output.

var errCTSLength = errors.New("kerberos: AES-CTS input shorter than one block")

// ctsEncrypt encrypts pt (at least one block) into a new slice.
func ctsEncrypt(b cipher.Block, pt []byte) ([]byte, error) {
	const bs = 16
	n := len(pt)
	if n < bs {
		return nil, errCTSLength
	}
	m := (n + bs - 1) / bs
	buf := make([]byte, m*bs)
	copy(buf, pt)
	var prev [bs]byte
	for i := 0; i < m; i++ {
		blk := buf[i*bs : (i+1)*bs]
		for j := range blk {
			blk[j] ^= prev[j]
		}
		b.Encrypt(blk, blk)
		copy(prev[:], blk)
	}
	if m == 1 {
		return buf, nil
	}
	// Swap the last two ciphertext blocks; keep n bytes.
	out := make([]byte, n)
	copy(out, buf[:(m-2)*bs])
	copy(out[(m-2)*bs:], buf[(m-1)*bs:])
	copy(out[(m-1)*bs:], buf[(m-2)*bs:(m-1)*bs])
	return out, nil
}

// ctsDecrypt decrypts ct (at least one block) into a new slice.
func ctsDecrypt(b cipher.Block, ct []byte) ([]byte, error) {
	const bs = 16
	n := len(ct)
	if n < bs {
		return nil, errCTSLength
	}
	m := (n + bs - 1) / bs
	out := make([]byte, n)
	if m == 1 {
		b.Decrypt(out, ct)
		return out, nil
	}
	d := n - (m-1)*bs // bytes of the last (partial or full) plaintext block
	var cLast, cPrev [bs]byte
	// ct = C1..C(m-2) | Cm | C(m-1)[:d]
	copy(cLast[:], ct[(m-2)*bs:(m-1)*bs])
	var dec [bs]byte
	b.Decrypt(dec[:], cLast[:])
	copy(cPrev[:], ct[(m-1)*bs:])
	copy(cPrev[d:], dec[d:])
	for j := 0; j < d; j++ {
		out[(m-1)*bs+j] = dec[j] ^ cPrev[j]
	}
	// P(m-1) = D(C(m-1)) xor C(m-2); earlier blocks plain CBC.
	var before [bs]byte
	if m > 2 {
		copy(before[:], ct[(m-3)*bs:(m-2)*bs])
	}
	b.Decrypt(dec[:], cPrev[:])
	for j := 0; j < bs; j++ {
		out[(m-2)*bs+j] = dec[j] ^ before[j]
	}
	for i := 0; i < m-2; i++ {
		b.Decrypt(dec[:], ct[i*bs:(i+1)*bs])
		var p [bs]byte
		if i > 0 {
			copy(p[:], ct[(i-1)*bs:i*bs])
		}
		for j := 0; j < bs; j++ {
			out[i*bs+j] = dec[j] ^ p[j]
		}
	}
	return out, nil
}
