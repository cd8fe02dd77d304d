package ntlm

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/iisctl/iisctl/rpc"
)

// ntlmv2Blob is the part of an NTLMv2_RESPONSE the acceptor checks
// (2.2.2.8, 2.2.2.7).
type ntlmv2Blob struct {
	proof    []byte // NTProofStr, 16 bytes
	temp     []byte // NTLMv2_CLIENT_CHALLENGE
	filetime uint64
	pairs    AvPairs
}

// parseNTLMv2 splits an NtChallengeResponse; responses of 24 bytes or
// less are NTLMv1 and refused (3.2.5.1.2).
func parseNTLMv2(nt []byte) (*ntlmv2Blob, error) {
	if len(nt) <= 24 {
		return nil, ErrNTLMv1Refused
	}
	if len(nt) < 16+blobHeaderLen+4 {
		return nil, malformed("NTLMv2 response of %d bytes", len(nt))
	}
	temp := nt[16:]
	if temp[0] != 1 || temp[1] != 1 {
		return nil, malformed("NTLMv2 client challenge version %d.%d", temp[0], temp[1])
	}
	pairs, err := ParseAvPairs(temp[blobHeaderLen:])
	if err != nil {
		return nil, err
	}
	return &ntlmv2Blob{proof: nt[:16], temp: temp, filetime: binary.LittleEndian.Uint64(temp[8:16]), pairs: pairs}, nil
}

// accept verifies an AUTHENTICATE_MESSAGE (3.2.5.1.2) and establishes
// the session.
func (s *Server) accept(ctx context.Context, in []byte) error {
	auth, err := ParseAuthenticate(in)
	if err != nil {
		return err
	}
	if auth.User == "" && len(auth.NtChallengeResponse) == 0 {
		return ErrAnonymousRefused
	}
	blob, err := parseNTLMv2(auth.NtChallengeResponse)
	if err != nil {
		return err
	}
	flags := auth.Flags & s.chal.Flags
	if !flags.Has(NegotiateExtendedSessionSecurity) {
		return ErrESSRequired
	}
	if err := s.checkSkew(blob.filetime); err != nil {
		return err
	}
	// Failed logons slow down per address and account when the transport
	// provides a gate (rpc.LogonThrottle): the check waits for its turn.
	gate := rpc.LogonGateFrom(ctx)
	if gate != nil {
		if err := gate.Before(ctx, auth.Domain, auth.User); err != nil {
			return err
		}
	}
	v, err := s.cfg.verifier().Verify(ctx, &Logon{
		User: auth.User, Domain: auth.Domain, Workstation: auth.Workstation,
		ServerChallenge:     s.chal.ServerChallenge,
		NtChallengeResponse: auth.NtChallengeResponse, LmChallengeResponse: auth.LmChallengeResponse,
	})
	if gate != nil && (err == nil || errors.Is(err, ErrLogonFailure)) {
		gate.After(err == nil) // an unreachable DC is nobody's failed guess
	}
	if err != nil {
		return err
	}
	base := v.SessionBaseKey
	exported := base // KXKEY = SessionBaseKey for NTLMv2 (3.4.5.1)
	if keyExchanged(flags) {
		if len(auth.EncryptedRandomSessionKey) != 16 {
			return malformed("EncryptedRandomSessionKey of %d bytes with KEY_EXCH", len(auth.EncryptedRandomSessionKey))
		}
		exported = EncryptSessionKey(base, [16]byte(auth.EncryptedRandomSessionKey))
	}
	if err := s.checkMIC(in, auth, blob, exported); err != nil {
		return err
	}
	s.Session.init(flags, exported, false)
	s.peer = v.Peer
	return nil
}

// checkSkew enforces MaxLifetime on the NTLMv2 timestamp (3.2.5.1.2).
func (s *Server) checkSkew(filetime uint64) error {
	if s.cfg.MaxSkew < 0 {
		return nil
	}
	d := s.cfg.Now().Sub(FiletimeToTime(filetime))
	if d > s.cfg.MaxSkew || d < -s.cfg.MaxSkew {
		return fmt.Errorf("%w: %v", ErrTimeSkew, d.Round(time.Second))
	}
	return nil
}

// checkMIC verifies the MIC when MsvAvFlags announces one (3.2.5.1.2).
func (s *Server) checkMIC(raw []byte, auth *AuthenticateMessage, blob *ntlmv2Blob, key [16]byte) error {
	if blob.pairs.Flags()&AvFlagMICPresent == 0 {
		if s.cfg.RequireMIC {
			return ErrMICRequired
		}
		if offersMIC(auth, blob) {
			return fmt.Errorf("%w: the client echoed MsvAvTimestamp and laid out Version and MIC fields but MsvAvFlags announces no MIC", ErrMICRequired)
		}
		return nil
	}
	if auth.MIC == nil {
		return fmt.Errorf("%w: MsvAvFlags announces a MIC the message has no room for", ErrMICMismatch)
	}
	want := ComputeMIC(key, s.negotiate, s.challenge, raw)
	if subtle.ConstantTimeCompare(want[:], auth.MIC) != 1 {
		return ErrMICMismatch
	}
	s.micPresent = true
	return nil
}

// offersMIC reports whether the client's own message shows it supports a
// MIC: it echoed the challenge's MsvAvTimestamp, so a conforming client
// provides one ([MS-NLMP] 3.1.5.1.2), and it negotiated
// NTLMSSP_NEGOTIATE_VERSION with the Version and MIC fields laid out
// (2.2.1.3). Such a message without the MsvAvFlags MIC bit has been
// downgraded or comes from a broken client; clients that lay out no MIC
// field (impacket) are not affected.
func offersMIC(auth *AuthenticateMessage, blob *ntlmv2Blob) bool {
	_, ts := blob.pairs.Get(AvTimestamp)
	return ts && auth.MIC != nil && auth.Flags.Has(NegotiateVersion)
}
