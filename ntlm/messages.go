package ntlm

import (
	"encoding/binary"
)

// Fixed header sizes (2.2.1.1-3), including the VERSION field and, for
// AUTHENTICATE, the MIC.
const (
	negotiateHeaderLen = 40
	challengeHeaderLen = 56
	authHeaderNoVer    = 64
	authVersionOffset  = 64
	// MICOffset is where the 16-byte MIC sits in an AUTHENTICATE_MESSAGE
	// that carries one (2.2.1.3).
	MICOffset   = 72
	authWithMIC = MICOffset + 16
)

// NegotiateMessage is NEGOTIATE_MESSAGE (2.2.1.1). Domain and
// Workstation are OEM strings, present only with the matching
// OEM_*_SUPPLIED flag.
type NegotiateMessage struct {
	Flags       NegotiateFlags
	Domain      string
	Workstation string
	Version     *Version // sent when Flags has NegotiateVersion
}

// Marshal encodes the message.
func (m *NegotiateMessage) Marshal() []byte {
	b := newBuilder(typeNegotiate, negotiateHeaderLen)
	b.u32(12, uint32(m.Flags))
	b.field(16, truncate(encodeString(m.Domain, false)))
	b.field(24, truncate(encodeString(m.Workstation, false)))
	if m.Version != nil && m.Flags.Has(NegotiateVersion) {
		m.Version.put(b.buf[32:40])
	}
	return b.buf
}

// ParseNegotiate decodes a NEGOTIATE_MESSAGE. Old clients send only the
// first 16 bytes; the Domain/Workstation descriptors are read when
// present.
func ParseNegotiate(b []byte) (*NegotiateMessage, error) {
	if err := checkHeader(b, typeNegotiate, 16); err != nil {
		return nil, err
	}
	m := &NegotiateMessage{Flags: NegotiateFlags(binary.LittleEndian.Uint32(b[12:]))}
	if len(b) < 32 {
		return m, nil
	}
	dom, err := readField(b, 16)
	if err != nil {
		return nil, err
	}
	ws, err := readField(b, 24)
	if err != nil {
		return nil, err
	}
	if m.Flags.Has(NegotiateOEMDomainSupplied) {
		m.Domain, _ = decodeString(dom, false)
	}
	if m.Flags.Has(NegotiateOEMWorkstationSupplied) {
		m.Workstation, _ = decodeString(ws, false)
	}
	if m.Flags.Has(NegotiateVersion) && len(b) >= 40 && min(fieldOffset(b, 16), fieldOffset(b, 24)) >= 40 {
		m.Version = parseVersion(b[32:40])
	}
	return m, nil
}

// ChallengeMessage is CHALLENGE_MESSAGE (2.2.1.2).
type ChallengeMessage struct {
	Flags           NegotiateFlags
	TargetName      string // encoded per Flags (Unicode or OEM)
	ServerChallenge [8]byte
	TargetInfo      AvPairs
	Version         *Version
}

// Marshal encodes the message; TargetInfo is written (with MsvAvEOL)
// when Flags has NegotiateTargetInfo.
func (m *ChallengeMessage) Marshal() []byte {
	b := newBuilder(typeChallenge, challengeHeaderLen)
	b.field(12, truncate(encodeString(m.TargetName, m.Flags.Has(NegotiateUnicode))))
	b.u32(20, uint32(m.Flags))
	copy(b.buf[24:32], m.ServerChallenge[:])
	var ti []byte
	if m.Flags.Has(NegotiateTargetInfo) {
		ti = truncate(m.TargetInfo.Marshal())
	}
	b.field(40, ti)
	if m.Version != nil {
		m.Version.put(b.buf[48:56])
	}
	return b.buf
}

// ParseChallenge decodes a CHALLENGE_MESSAGE. The TargetInfo list must
// be well formed when present.
func ParseChallenge(b []byte) (*ChallengeMessage, error) {
	if err := checkHeader(b, typeChallenge, 48); err != nil {
		return nil, err
	}
	m := &ChallengeMessage{Flags: NegotiateFlags(binary.LittleEndian.Uint32(b[20:]))}
	copy(m.ServerChallenge[:], b[24:32])
	tn, err := readField(b, 12)
	if err != nil {
		return nil, err
	}
	if m.TargetName, err = decodeString(tn, m.Flags.Has(NegotiateUnicode)); err != nil {
		return nil, err
	}
	ti, err := readField(b, 40)
	if err != nil {
		return nil, err
	}
	if len(ti) > 0 {
		if m.TargetInfo, err = ParseAvPairs(ti); err != nil {
			return nil, err
		}
	}
	if m.Flags.Has(NegotiateVersion) && len(b) >= 56 && min(fieldOffset(b, 12), fieldOffset(b, 40)) >= 56 {
		m.Version = parseVersion(b[48:56])
	}
	return m, nil
}

// AuthenticateMessage is AUTHENTICATE_MESSAGE (2.2.1.3).
type AuthenticateMessage struct {
	LmChallengeResponse       []byte
	NtChallengeResponse       []byte
	Domain, User, Workstation string // encoded per Flags
	EncryptedRandomSessionKey []byte
	Flags                     NegotiateFlags
	Version                   *Version
	// MIC is the 16-byte MIC, or nil when the message has no room for
	// one (payload starting before offset 88).
	MIC []byte
}

// Marshal encodes the message. The VERSION field is laid out when
// Version or MIC is set; the MIC field when MIC is non-nil (it is
// written as given, usually zeros first, see SetMIC).
func (m *AuthenticateMessage) Marshal() []byte {
	hdr := authHeaderNoVer
	if m.Version != nil || m.MIC != nil {
		hdr = MICOffset
	}
	if m.MIC != nil {
		hdr = authWithMIC
	}
	uni := m.Flags.Has(NegotiateUnicode)
	b := newBuilder(typeAuthenticate, hdr)
	b.field(28, truncate(encodeString(m.Domain, uni)))
	b.field(36, truncate(encodeString(m.User, uni)))
	b.field(44, truncate(encodeString(m.Workstation, uni)))
	// Payload order follows Windows: names, then responses, then key.
	lm, nt := truncate(m.LmChallengeResponse), truncate(m.NtChallengeResponse)
	b.field(12, lm)
	b.field(20, nt)
	b.field(52, truncate(m.EncryptedRandomSessionKey))
	b.u32(60, uint32(m.Flags))
	if m.Version != nil {
		m.Version.put(b.buf[64:72])
	}
	if m.MIC != nil {
		copy(b.buf[MICOffset:authWithMIC], m.MIC)
	}
	return b.buf
}

// SetMIC writes mic into an encoded AUTHENTICATE_MESSAGE that has room
// for it; it does nothing to a message shorter than 88 bytes.
func SetMIC(auth []byte, mic []byte) {
	if len(auth) >= authWithMIC {
		copy(auth[MICOffset:authWithMIC], mic)
	}
}

var authFieldOffsets = [...]int{12, 20, 28, 36, 44, 52}

// payloadStart is the lowest offset of a non-empty payload field.
func payloadStart(b []byte) int {
	start := len(b)
	for _, at := range authFieldOffsets {
		start = min(start, fieldOffset(b, at))
	}
	return start
}

// ParseAuthenticate decodes an AUTHENTICATE_MESSAGE. MIC is set when the
// payload leaves room for it at offset 72.
func ParseAuthenticate(b []byte) (*AuthenticateMessage, error) {
	if err := checkHeader(b, typeAuthenticate, authHeaderNoVer); err != nil {
		return nil, err
	}
	m := &AuthenticateMessage{Flags: NegotiateFlags(binary.LittleEndian.Uint32(b[60:]))}
	var raw [6][]byte
	for i, at := range authFieldOffsets {
		v, err := readField(b, at)
		if err != nil {
			return nil, err
		}
		raw[i] = v
	}
	m.LmChallengeResponse, m.NtChallengeResponse = raw[0], raw[1]
	m.EncryptedRandomSessionKey = raw[5]
	uni := m.Flags.Has(NegotiateUnicode)
	for i, dst := range []*string{&m.Domain, &m.User, &m.Workstation} {
		s, err := decodeString(raw[2+i], uni)
		if err != nil {
			return nil, err
		}
		*dst = s
	}
	start := payloadStart(b)
	if start >= MICOffset && len(b) >= MICOffset && m.Flags.Has(NegotiateVersion) {
		m.Version = parseVersion(b[64:72])
	}
	if start >= authWithMIC && len(b) >= authWithMIC {
		m.MIC = append([]byte(nil), b[MICOffset:authWithMIC]...)
	}
	return m, nil
}

// truncate caps a payload field at the 16-bit length limit.
func truncate(b []byte) []byte {
	if len(b) > 0xFFFF {
		return b[:0xFFFF]
	}
	return b
}
