package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
)

// SignatureSize is the length of an NTLMSSP_MESSAGE_SIGNATURE (2.2.2.9.1).
const SignatureSize = 16

// direction holds one direction's session security state (3.4.1): the
// signing key, the sealing key, an RC4 handle that persists across
// messages, and the sequence number.
type direction struct {
	signKey [16]byte
	sealKey [16]byte
	hmac    hash.Hash // HMAC_MD5 keyed with signKey, reused
	rc4     rc4State
	seq     uint32
}

func (d *direction) resetRC4() {
	d.rc4.reset(d.sealKey[:])
}

// Session is the per-message security of an established NTLM context
// with extended session security (3.4): MAC (3.4.4.2), SEAL (3.4.3),
// GSS_GetMICEx/VerifyMICEx (3.4.8-9). Client and Server embed it. It is
// safe for concurrent use; calls are serialized, and the order of Sign
// and Seal calls defines the outgoing sequence numbers.
//
// A failed Verify or Unseal leaves the state (RC4 handle and expected
// sequence number) unchanged, and Unseal restores data.
type Session struct {
	mu          sync.Mutex
	established bool
	flags       NegotiateFlags
	sessionKey  [16]byte
	out, in     direction
}

// init derives all keys from the exported session key (3.4.5.2-3).
func (s *Session) init(flags NegotiateFlags, exportedSessionKey [16]byte, client bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags = flags
	s.sessionKey = exportedSessionKey
	s.out.signKey = SignKey(exportedSessionKey, client)
	s.out.sealKey = SealKey(flags, exportedSessionKey, client)
	s.in.signKey = SignKey(exportedSessionKey, !client)
	s.in.sealKey = SealKey(flags, exportedSessionKey, !client)
	s.out.hmac = hmac.New(md5.New, s.out.signKey[:])
	s.in.hmac = hmac.New(md5.New, s.in.signKey[:])
	s.out.resetRC4()
	s.in.resetRC4()
	s.established = true
}

// Established reports whether the handshake completed.
func (s *Session) Established() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.established
}

// Flags returns the negotiated flags (valid once established). The RPC
// layer checks NegotiateSign / NegotiateSeal against its auth level.
func (s *Session) Flags() NegotiateFlags {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flags
}

// SessionKey returns the ExportedSessionKey (3.1.1.1).
func (s *Session) SessionKey() ([16]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.established {
		return [16]byte{}, ErrNotEstablished
	}
	return s.sessionKey, nil
}

// SignatureSize returns 16.
func (s *Session) SignatureSize() int { return SignatureSize }

// ready checks that protection of the requested kind may be applied.
func (s *Session) ready(seal bool) error {
	if !s.established {
		return ErrNotEstablished
	}
	if seal && !s.flags.Has(NegotiateSeal) {
		return fmt.Errorf("%w: SEAL", ErrNotNegotiated)
	}
	if !s.flags.Has(NegotiateSign) && !s.flags.Has(NegotiateSeal) {
		return fmt.Errorf("%w: SIGN", ErrNotNegotiated)
	}
	return nil
}

// checksum is HMAC_MD5(SigningKey, SeqNum ‖ msg)[0..7] (3.4.4.2); h
// is an HMAC_MD5 keyed with SigningKey.
func checksum(h hash.Hash, seq uint32, msg []byte) [8]byte {
	h.Reset()
	var s [4]byte
	binary.LittleEndian.PutUint32(s[:], seq)
	h.Write(s[:])
	h.Write(msg)
	var sum [md5.Size]byte
	return [8]byte(h.Sum(sum[:0]))
}

// mac finishes MAC(): RC4 the checksum with the direction's handle when
// KEY_EXCH was negotiated, then lay out {1, checksum, seq} (3.4.4.2).
func (s *Session) mac(d *direction, sum [8]byte, seq uint32) []byte {
	if s.flags.Has(NegotiateKeyExch) {
		d.rc4.XORKeyStream(sum[:], sum[:])
	}
	sig := make([]byte, SignatureSize)
	sig[0] = 1
	copy(sig[4:12], sum[:])
	binary.LittleEndian.PutUint32(sig[12:], seq)
	return sig
}

// Sign returns the signature of msg and advances the outgoing sequence
// number (GSS_GetMICEx, 3.4.8).
func (s *Session) Sign(msg []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(false); err != nil {
		return nil, err
	}
	d := &s.out
	sig := s.mac(d, checksum(d.hmac, d.seq, msg), d.seq)
	d.seq++
	return sig, nil
}

// Verify checks sig over msg at the expected incoming sequence number
// (GSS_VerifyMICEx, 3.4.9). A replayed, skipped or reordered signature
// fails with ErrSequence, a wrong checksum with ErrBadSignature.
func (s *Session) Verify(msg, sig []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(false); err != nil {
		return err
	}
	return s.verify(msg, sig, nil)
}

// verify compares sig against the expected signature. On failure the
// RC4 state is restored and undo (if any) runs.
func (s *Session) verify(msg, sig []byte, undo func()) error {
	d := &s.in
	saved := d.rc4
	fail := func(err error) error {
		d.rc4 = saved
		if undo != nil {
			undo()
		}
		return err
	}
	if len(sig) != SignatureSize {
		return fail(fmt.Errorf("%w: %d bytes", ErrBadSignature, len(sig)))
	}
	want := s.mac(d, checksum(d.hmac, d.seq, msg), d.seq)
	if binary.LittleEndian.Uint32(sig[12:]) != d.seq {
		return fail(fmt.Errorf("%w: got %d, want %d", ErrSequence, binary.LittleEndian.Uint32(sig[12:]), d.seq))
	}
	if subtle.ConstantTimeCompare(want, sig) != 1 {
		return fail(ErrBadSignature)
	}
	d.seq++
	return nil
}

// Seal encrypts data in place and returns the signature of msg (SEAL,
// 3.4.3; GSS_WrapEx, 3.4.6). msg is the whole buffer to protect and
// data the part of it to encrypt; the MAC covers msg as it was before
// encryption. RC4 runs over data first, then over the checksum.
func (s *Session) Seal(msg, data []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(true); err != nil {
		return nil, err
	}
	d := &s.out
	sum := checksum(d.hmac, d.seq, msg)
	d.rc4.XORKeyStream(data, data)
	sig := s.mac(d, sum, d.seq)
	d.seq++
	return sig, nil
}

// Unseal decrypts data in place and verifies sig over the decrypted msg
// (GSS_UnwrapEx, 3.4.7). On failure data is restored to its sealed form.
func (s *Session) Unseal(msg, data, sig []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(true); err != nil {
		return err
	}
	saved := s.in.rc4
	s.in.rc4.XORKeyStream(data, data)
	undo := func() {
		s.in.rc4 = saved
		c := saved
		c.XORKeyStream(data, data)
	}
	return s.verify(msg, sig, undo)
}

// GetMIC is Sign under its GSS name: SPNEGO's mechListMIC is an NTLM
// signature over the DER MechTypeList ([MS-SPNG] 3.1.5.1).
func (s *Session) GetMIC(msg []byte) ([]byte, error) { return s.Sign(msg) }

// VerifyMIC is Verify under its GSS name.
func (s *Session) VerifyMIC(msg, sig []byte) error { return s.Verify(msg, sig) }

// ResetCrypto re-initializes both RC4 handles from the sealing keys and
// keeps the sequence numbers. SPNEGO requires it once mechListMIC has
// been exchanged ([MS-SPNG] 3.2.5.1, 3.3.5.1).
func (s *Session) ResetCrypto() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.established {
		return ErrNotEstablished
	}
	s.out.resetRC4()
	s.in.resetRC4()
	return nil
}

// SeqNums reports the next outgoing and expected incoming sequence
// numbers.
func (s *Session) SeqNums() (out, in uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.seq, s.in.seq
}
