package kerberos

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/common"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Key usages of the RFC 4121 2 per-message tokens.
const (
	usageAcceptorSeal  = 22
	usageAcceptorSign  = 23
	usageInitiatorSeal = 24
	usageInitiatorSign = 25
)

// CFX token flags (RFC 4121 4.2.2).
const (
	flagSentByAcceptor = 0x01
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
)

// Sizes of the tokens this package sends ([MS-KILE] 3.4.5.4.1).
const (
	cfxHeader   = 16
	cfxHMAC     = 12
	cfxConf     = 16
	cfxEC       = 16 // "the sender should set EC to 1 block - 16 bytes"
	cfxRRC      = 28
	cfxMICSize  = cfxHeader + cfxHMAC                               // 28
	cfxWrapSize = cfxHeader + cfxConf + cfxEC + cfxHeader + cfxHMAC // 76
	rc4MICSize  = 24                                                // the RFC 4757 token; sent with 13 bytes of framing
	rc4WrapSize = 32
	rc4Framing  = 13 // 60 len 06 09 <KRB5 OID>: DCE style keeps the framing but its length excludes the data
)

// direction is one direction's per-message state.
type direction struct {
	seq      uint64
	kc       []byte       // AES: checksum key of the sign usage
	ke, ki   []byte       // AES: encryption and integrity keys of the seal usage
	blk      cipher.Block // AES keyed with ke
	hc, hi   hash.Hash    // HMAC-SHA1 keyed with kc and ki, reused
	sealFlag byte         // expected/sent flags besides Sealed
}

// Session is the per-message security of an established Kerberos
// context: GSS_GetMICEx/GSS_VerifyMICEx and GSS_WrapEx/GSS_UnwrapEx for
// AES (RFC 4121) and RC4-HMAC (RFC 4757). Calls are serialized; the order
// of Sign and Seal calls defines the outgoing sequence numbers. A failed
// Verify or Unseal leaves the state unchanged and restores data.
type Session struct {
	mu          sync.Mutex
	established bool
	etype       int32
	key         []byte
	initiator   bool
	out, in     direction
	rand        io.Reader
	// RC4: HMAC keyed with Ksign, and the per-key halves of Kseq and Kcrypt.
	rc4Sign          hash.Hash
	rc4Seq, rc4Crypt []byte
}

// init sets up the per-message keys. key is the token key (the acceptor
// subkey when the acceptor sent one, else the initiator subkey, else the
// ticket session key); acceptorSubkey says whether it is the acceptor's.
func (s *Session) init(etype int32, key []byte, initiator, acceptorSubkey bool, sendSeq, recvSeq uint64, rnd io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.etype, s.key, s.initiator, s.rand = etype, append([]byte(nil), key...), initiator, rnd
	s.out.seq, s.in.seq = sendSeq, recvSeq
	switch etype {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
		e, err := crypto.GetEtype(etype)
		if err != nil {
			return err
		}
		if len(key) != e.GetKeyByteSize() {
			return fmt.Errorf("%w: %d-byte key for etype %d", ErrMalformed, len(key), etype)
		}
		var sub byte
		if acceptorSubkey {
			sub = flagAcceptorSubkey
		}
		derive := func(d *direction, sign, seal uint32, byAcceptor bool) error {
			var err error
			if d.kc, err = e.DeriveKey(key, common.GetUsageKc(sign)); err != nil {
				return err
			}
			if d.ke, err = e.DeriveKey(key, common.GetUsageKe(seal)); err != nil {
				return err
			}
			if d.ki, err = e.DeriveKey(key, common.GetUsageKi(seal)); err != nil {
				return err
			}
			if d.blk, err = aes.NewCipher(d.ke); err != nil {
				return err
			}
			d.hc, d.hi = hmac.New(sha1.New, d.kc), hmac.New(sha1.New, d.ki)
			d.sealFlag = sub
			if byAcceptor {
				d.sealFlag |= flagSentByAcceptor
			}
			return nil
		}
		mine, theirs := []uint32{usageAcceptorSign, usageAcceptorSeal}, []uint32{usageInitiatorSign, usageInitiatorSeal}
		if initiator {
			mine, theirs = theirs, mine
		}
		if err := derive(&s.out, mine[0], mine[1], !initiator); err != nil {
			return err
		}
		if err := derive(&s.in, theirs[0], theirs[1], initiator); err != nil {
			return err
		}
	case etypeID.RC4_HMAC:
		if len(key) != 16 {
			return fmt.Errorf("%w: %d-byte RC4 key", ErrMalformed, len(key))
		}
		klocal := make([]byte, len(key))
		for i, b := range key {
			klocal[i] = b ^ 0xf0
		}
		s.rc4Sign = hmac.New(md5.New, hmacMD5(key, []byte("signaturekey\x00")))
		s.rc4Seq = hmacMD5(key, le32(0))
		s.rc4Crypt = hmacMD5(klocal, le32(0))
	default:
		return fmt.Errorf("%w: %d", ErrUnsupported, etype)
	}
	s.established = true
	return nil
}

// Etype reports the encryption type of the per-message key.
func (s *Session) Etype() int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.etype
}

func (s *Session) isAES() bool { return s.etype != etypeID.RC4_HMAC }

// SignatureSize is the length of the MIC tokens Sign returns.
func (s *Session) SignatureSize() int {
	if s.Etype() == etypeID.RC4_HMAC {
		return rc4Framing + rc4MICSize
	}
	return cfxMICSize
}

// SealSize is the length of the wrap tokens Seal returns.
func (s *Session) SealSize() int {
	if s.Etype() == etypeID.RC4_HMAC {
		return rc4Framing + rc4WrapSize
	}
	return cfxWrapSize
}

// HeaderSignOptional reports that the checksum covers exactly the bytes
// given, so the RPC layer passes the PDU header and sec_trailer only when
// header signing was negotiated ([MS-RPCE] 3.3.1.5.2.2).
func (s *Session) HeaderSignOptional() bool { return true }

// SeqNums reports the next outgoing and expected incoming sequence numbers.
func (s *Session) SeqNums() (out, in uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.seq, s.in.seq
}

// Sign returns a MIC token over msg (GSS_GetMICEx, [MS-KILE] 3.4.5.6).
func (s *Session) Sign(msg []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.established {
		return nil, ErrNotEstablished
	}
	var tok []byte
	if s.isAES() {
		tok = s.cfxMIC(&s.out, s.out.seq, msg)
	} else {
		tok = s.rc4MIC(msg, s.out.seq, s.initiator)
	}
	s.out.seq++
	return tok, nil
}

// Verify checks a MIC token over msg at the expected sequence number
// (GSS_VerifyMICEx, [MS-KILE] 3.4.5.7).
func (s *Session) Verify(msg, tok []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.established {
		return ErrNotEstablished
	}
	var err error
	if s.isAES() {
		err = s.cfxVerifyMIC(msg, tok)
	} else {
		err = s.rc4VerifyMIC(msg, tok)
	}
	if err == nil {
		s.in.seq++
	}
	return err
}

// Seal encrypts data (a sub-slice of msg) in place and returns the wrap
// token; the checksum covers msg in plaintext (GSS_WrapEx, [MS-KILE]
// 3.4.5.4).
func (s *Session) Seal(msg, data []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.established {
		return nil, ErrNotEstablished
	}
	var tok []byte
	var err error
	if s.isAES() {
		tok, err = s.cfxWrap(msg, data)
	} else {
		tok, err = s.rc4Wrap(msg, data)
	}
	if err != nil {
		return nil, err
	}
	s.out.seq++
	return tok, nil
}

// Unseal decrypts data in place and verifies tok over the decrypted msg
// (GSS_UnwrapEx, [MS-KILE] 3.4.5.5). On failure data is restored.
func (s *Session) Unseal(msg, data, tok []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.established {
		return ErrNotEstablished
	}
	saved := append([]byte(nil), data...)
	var err error
	if s.isAES() {
		err = s.cfxUnwrap(msg, data, tok)
	} else {
		err = s.rc4Unwrap(msg, data, tok)
	}
	if err != nil {
		copy(data, saved)
		return err
	}
	s.in.seq++
	return nil
}

// GetMIC is Sign under its GSS name (SPNEGO's mechListMIC).
func (s *Session) GetMIC(msg []byte) ([]byte, error) { return s.Sign(msg) }

// VerifyMIC is Verify under its GSS name.
func (s *Session) VerifyMIC(msg, mic []byte) error { return s.Verify(msg, mic) }

// ResetCrypto does nothing: Kerberos tokens carry no cipher state.
func (s *Session) ResetCrypto() error { return nil }

// ---- AES: RFC 4121 CFX tokens ----

// mac12 is HMAC-SHA1-96 over parts with a reused keyed hash.
func mac12(h hash.Hash, parts ...[]byte) []byte {
	h.Reset()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)[:cfxHMAC]
}

func cfxMICHeader(flags byte, seq uint64) []byte {
	h := []byte{0x04, 0x04, flags, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[8:], seq)
	return h
}

func (s *Session) cfxMIC(d *direction, seq uint64, msg []byte) []byte {
	h := cfxMICHeader(d.sealFlag, seq)
	return append(h, mac12(d.hc, msg, h)...)
}

func (s *Session) cfxVerifyMIC(msg, tok []byte) error {
	if len(tok) != cfxMICSize || tok[0] != 0x04 || tok[1] != 0x04 {
		return fmt.Errorf("%w: MIC token of %d bytes", ErrBadSignature, len(tok))
	}
	if err := s.checkFlags(tok[2], false); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(tok[3:8], []byte{0xff, 0xff, 0xff, 0xff, 0xff}) != 1 {
		return fmt.Errorf("%w: MIC filler", ErrBadSignature)
	}
	want := mac12(s.in.hc, msg, tok[:cfxHeader])
	if subtle.ConstantTimeCompare(want, tok[cfxHeader:]) != 1 {
		return ErrBadSignature
	}
	if seq := binary.BigEndian.Uint64(tok[8:16]); seq != s.in.seq {
		return fmt.Errorf("%w: got %d, want %d", ErrSequence, seq, s.in.seq)
	}
	return nil
}

// checkFlags checks the direction bit and the AcceptorSubkey bit of a
// received token (RFC 4121 4.2.2).
func (s *Session) checkFlags(f byte, sealed bool) error {
	want := s.in.sealFlag
	if sealed {
		want |= flagSealed
	}
	if f != want {
		return fmt.Errorf("%w: token flags %#x, want %#x", ErrBadSignature, f, want)
	}
	return nil
}

func cfxWrapHeader(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := []byte{0x05, 0x04, flags | flagSealed, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(h[4:], ec)
	binary.BigEndian.PutUint16(h[6:], rrc)
	binary.BigEndian.PutUint64(h[8:], seq)
	return h
}

// cfxWrap builds the DCE-style wrap token: E(conf | data | filler |
// header) | HMAC(conf | msg | filler | header), rotated right by RRC+EC;
// the first len(data) bytes after the rotation's 60 land in data.
func (s *Session) cfxWrap(msg, data []byte) ([]byte, error) {
	hdr := cfxWrapHeader(s.out.sealFlag, cfxEC, 0, s.out.seq)
	var conf [cfxConf]byte
	if _, err := io.ReadFull(s.rand, conf[:]); err != nil {
		return nil, err
	}
	filler := make([]byte, cfxEC)
	for i := range filler {
		filler[i] = 0xff
	}
	pt := make([]byte, 0, cfxConf+len(data)+cfxEC+cfxHeader)
	pt = append(append(append(append(pt, conf[:]...), data...), filler...), hdr...)
	mac := mac12(s.out.hi, conf[:], msg, filler, hdr)
	ct, err := ctsEncrypt(s.out.blk, pt)
	if err != nil {
		return nil, err
	}
	t := append(ct, mac...) // len(data) + 60
	k := cfxRRC + cfxEC
	tok := make([]byte, 0, cfxWrapSize)
	tok = append(tok, hdr...)
	tok[6], tok[7] = 0, cfxRRC
	// rotated = t[len-k:] | t[:len-k]; token keeps the first 60 bytes.
	tok = append(tok, t[len(t)-k:]...)
	tok = append(tok, t[:cfxConf]...)
	copy(data, t[cfxConf:len(t)-k])
	return tok, nil
}

func (s *Session) cfxUnwrap(msg, data, tok []byte) error {
	if len(tok) < cfxHeader || tok[0] != 0x05 || tok[1] != 0x04 || tok[3] != 0xff {
		return fmt.Errorf("%w: not a wrap token", ErrBadSignature)
	}
	if err := s.checkFlags(tok[2], true); err != nil {
		return err
	}
	ec := int(binary.BigEndian.Uint16(tok[4:6]))
	rrc := int(binary.BigEndian.Uint16(tok[6:8]))
	seq := binary.BigEndian.Uint64(tok[8:16])
	// rotated = tok[16:] | data, len = conf + data + ec + hdr + hmac.
	n := len(tok) - cfxHeader + len(data)
	if n != cfxConf+len(data)+ec+cfxHeader+cfxHMAC || len(data)+cfxConf+ec+cfxHeader < 16 {
		return fmt.Errorf("%w: wrap token of %d bytes with EC %d", ErrBadSignature, len(tok), ec)
	}
	rot := make([]byte, 0, n)
	rot = append(append(rot, tok[cfxHeader:]...), data...)
	k := (rrc + ec) % n
	t := append(rot[k:], rot[:k]...)
	ct, mac := t[:n-cfxHMAC], t[n-cfxHMAC:]
	pt, err := ctsDecrypt(s.in.blk, ct)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	conf := pt[:cfxConf]
	filler := pt[cfxConf+len(data) : cfxConf+len(data)+ec]
	hdr := pt[len(pt)-cfxHeader:]
	copy(data, pt[cfxConf:cfxConf+len(data)])
	want := mac12(s.in.hi, conf, msg, filler, hdr)
	if subtle.ConstantTimeCompare(want, mac) != 1 {
		return ErrBadSignature
	}
	// The encrypted header copy equals the token header with RRC 0 (RFC 4121 4.2.4).
	clear := append([]byte(nil), tok[:cfxHeader]...)
	clear[6], clear[7] = 0, 0
	if subtle.ConstantTimeCompare(clear, hdr) != 1 {
		return fmt.Errorf("%w: header copy differs", ErrBadSignature)
	}
	if seq != s.in.seq {
		return fmt.Errorf("%w: got %d, want %d", ErrSequence, seq, s.in.seq)
	}
	return nil
}

// ---- RC4-HMAC: RFC 4757 7.2, 7.3 without the GSS framing ----

func hmacMD5(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// rc4SeqPlain is SND_SEQ before encryption: the 32-bit big-endian number
// and four bytes of direction (0 from the initiator, 0xff from the acceptor).
func rc4SeqPlain(seq uint64, fromInitiator bool) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(seq))
	if fromInitiator {
		return append(b, 0, 0, 0, 0)
	}
	return append(b, 0xff, 0xff, 0xff, 0xff)
}

func rc4XOR(key, b []byte) {
	c, _ := rc4.NewCipher(key) // 16-byte key: never an error
	c.XORKeyStream(b, b)
}

func (s *Session) rc4Cksum(usage uint32, hdr []byte, parts ...[]byte) []byte {
	h := md5.New()
	h.Write(le32(usage))
	h.Write(hdr)
	for _, p := range parts {
		h.Write(p)
	}
	var sum [md5.Size]byte
	s.rc4Sign.Reset()
	s.rc4Sign.Write(h.Sum(sum[:0]))
	return s.rc4Sign.Sum(nil)[:8]
}

func (s *Session) rc4EncSeq(cksum, seq []byte) {
	rc4XOR(hmacMD5(s.rc4Seq, cksum), seq)
}

var (
	rc4MICHdr  = []byte{0x01, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff}
	rc4WrapHdr = []byte{0x02, 0x01, 0x11, 0x00, 0x10, 0x00, 0xff, 0xff}
)

func (s *Session) rc4MIC(msg []byte, seq uint64, fromInitiator bool) []byte {
	ck := s.rc4Cksum(15, rc4MICHdr, msg)
	sq := rc4SeqPlain(seq, fromInitiator)
	s.rc4EncSeq(ck, sq)
	tok := append(append(append([]byte(nil), rc4MICHdr...), sq...), ck...)
	return rc4Frame(tok)
}

// rc4Frame adds the RFC 1964 framing Windows and Heimdal put on RC4 DCE
// tokens: 60, the length of the rest (without the data), the KRB5 OID.
func rc4Frame(tok []byte) []byte {
	out := make([]byte, 0, rc4Framing+len(tok))
	out = append(out, 0x60, byte(2+len(derKRB5)+len(tok)), 0x06, byte(len(derKRB5)))
	out = append(out, derKRB5...)
	return append(out, tok...)
}

// rc4Unframe strips that framing when present.
func rc4Unframe(tok []byte, size int) ([]byte, bool) {
	if len(tok) == size {
		return tok, true
	}
	if len(tok) != rc4Framing+size || tok[0] != 0x60 || int(tok[1]) != len(tok)-2 || tok[2] != 0x06 ||
		int(tok[3]) != len(derKRB5) || subtle.ConstantTimeCompare(tok[4:rc4Framing], derKRB5) != 1 {
		return nil, false
	}
	return tok[rc4Framing:], true
}

// rc4OpenSeq decrypts SND_SEQ of a received token and checks it.
func (s *Session) rc4OpenSeq(encSeq, cksum []byte) error {
	sq := append([]byte(nil), encSeq...)
	s.rc4EncSeq(cksum, sq)
	if subtle.ConstantTimeCompare(sq, rc4SeqPlain(s.in.seq, !s.initiator)) != 1 {
		return fmt.Errorf("%w: want %d", ErrSequence, s.in.seq)
	}
	return nil
}

func (s *Session) rc4VerifyMIC(msg, tok []byte) error {
	tok, ok := rc4Unframe(tok, rc4MICSize)
	if !ok || subtle.ConstantTimeCompare(tok[:8], rc4MICHdr) != 1 {
		return fmt.Errorf("%w: MIC token of %d bytes", ErrBadSignature, len(tok))
	}
	want := s.rc4Cksum(15, rc4MICHdr, msg)
	if subtle.ConstantTimeCompare(want, tok[16:24]) != 1 {
		return ErrBadSignature
	}
	return s.rc4OpenSeq(tok[8:16], tok[16:24])
}

func (s *Session) rc4Kcrypt(seq uint64) []byte {
	return hmacMD5(s.rc4Crypt, binary.BigEndian.AppendUint32(nil, uint32(seq)))
}

// rc4WrapWith is RFC 4757 7.3 with a given confounder (for the tests).
func (s *Session) rc4WrapWith(msg, data, confounder []byte, seq uint64, fromInitiator bool) []byte {
	conf := append([]byte(nil), confounder...)
	ck := s.rc4Cksum(13, rc4WrapHdr, conf, msg)
	c, _ := rc4.NewCipher(s.rc4Kcrypt(seq))
	c.XORKeyStream(conf, conf)
	c.XORKeyStream(data, data)
	sq := rc4SeqPlain(seq, fromInitiator)
	s.rc4EncSeq(ck, sq)
	tok := make([]byte, 0, rc4WrapSize)
	return append(append(append(append(tok, rc4WrapHdr...), sq...), ck...), conf...)
}

func (s *Session) rc4Wrap(msg, data []byte) ([]byte, error) {
	var conf [8]byte
	if _, err := io.ReadFull(s.rand, conf[:]); err != nil {
		return nil, err
	}
	return rc4Frame(s.rc4WrapWith(msg, data, conf[:], s.out.seq, s.initiator)), nil
}

func (s *Session) rc4Unwrap(msg, data, tok []byte) error {
	tok, ok := rc4Unframe(tok, rc4WrapSize)
	if !ok || subtle.ConstantTimeCompare(tok[:8], rc4WrapHdr) != 1 {
		return fmt.Errorf("%w: wrap token of %d bytes", ErrBadSignature, len(tok))
	}
	if err := s.rc4OpenSeq(tok[8:16], tok[16:24]); err != nil {
		return err
	}
	conf := append([]byte(nil), tok[24:32]...)
	c, _ := rc4.NewCipher(s.rc4Kcrypt(s.in.seq))
	c.XORKeyStream(conf, conf)
	c.XORKeyStream(data, data)
	want := s.rc4Cksum(13, rc4WrapHdr, conf, msg)
	if subtle.ConstantTimeCompare(want, tok[16:24]) != 1 {
		return ErrBadSignature
	}
	return nil
}

// keyForTest returns the per-message key as a gokrb5 key.
func (s *Session) keyForTest() types.EncryptionKey {
	return types.EncryptionKey{KeyType: s.etype, KeyValue: s.key}
}
