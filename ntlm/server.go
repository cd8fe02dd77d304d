package ntlm

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/iisctl/iisctl/rpc"
)

// DefaultMaxSkew is the default tolerance between the NTLMv2 timestamp
// and the acceptor's clock: 36 hours, the MaxLifetime of Windows XP
// and later ([MS-NLMP] 3.1.1.1, <39>).
const DefaultMaxSkew = 36 * time.Hour

// ServerConfig configures an acceptor.
type ServerConfig struct {
	// NetBIOSComputer (MsvAvNbComputerName, also the TargetName) defaults
	// to the upper-cased first label of DNSComputer, cut to 15 bytes.
	NetBIOSComputer string
	// NetBIOSDomain (MsvAvNbDomainName) defaults to NetBIOSComputer, as
	// on a stand-alone Windows server.
	NetBIOSDomain string
	// DNSComputer (MsvAvDnsComputerName) defaults to the host name.
	DNSComputer string
	// DNSDomain (MsvAvDnsDomainName) defaults to DNSComputer minus its
	// first label, or DNSComputer when it has a single label.
	DNSDomain string
	// Creds looks accounts up for the local verifier (LocalVerifier).
	// Required unless Verifier is set.
	Creds CredentialSource
	// Verifier checks responses, for example by passing them to a domain
	// controller; nil means LocalVerifier(Creds).
	Verifier Verifier
	// Rand supplies server challenges; nil means crypto/rand.
	Rand io.Reader
	// Now is the server clock (MsvAvTimestamp, skew check); nil: time.Now.
	Now func() time.Time
	// MaxSkew bounds |client timestamp - Now|; zero means DefaultMaxSkew,
	// negative disables the check.
	MaxSkew time.Duration
	// RequireMIC refuses AUTHENTICATE messages without a MIC. Windows
	// clients always send one because the CHALLENGE carries a timestamp.
	RequireMIC bool
	// Version sent in the CHALLENGE; nil means DefaultVersion.
	Version *Version
}

// withDefaults fills the zero fields of cfg.
func (cfg ServerConfig) withDefaults() ServerConfig {
	if cfg.DNSComputer == "" {
		cfg.DNSComputer, _ = os.Hostname()
		if cfg.DNSComputer == "" {
			cfg.DNSComputer = "localhost"
		}
	}
	if cfg.NetBIOSComputer == "" {
		first, _, _ := strings.Cut(cfg.DNSComputer, ".")
		cfg.NetBIOSComputer = strings.ToUpper(first)
		if len(cfg.NetBIOSComputer) > 15 {
			cfg.NetBIOSComputer = cfg.NetBIOSComputer[:15]
		}
	}
	if cfg.NetBIOSDomain == "" {
		cfg.NetBIOSDomain = cfg.NetBIOSComputer
	}
	if cfg.DNSDomain == "" {
		if _, rest, ok := strings.Cut(cfg.DNSComputer, "."); ok {
			cfg.DNSDomain = rest
		} else {
			cfg.DNSDomain = cfg.DNSComputer
		}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.Version == nil {
		v := DefaultVersion
		cfg.Version = &v
	}
	return cfg
}

func (cfg *ServerConfig) verifier() Verifier {
	if cfg.Verifier != nil {
		return cfg.Verifier
	}
	return LocalVerifier(cfg.Creds)
}

type serverState int

const (
	serverWaitNegotiate serverState = iota
	serverWaitAuthenticate
	serverDone
	serverFailed
)

// Server is an NTLMv2 acceptor (3.2). It satisfies rpc.SecurityContext:
// Step(negotiate) returns the CHALLENGE_MESSAGE, Step(authenticate)
// verifies the client and returns done with no token. One Server serves
// one handshake; Step must not be called concurrently.
type Server struct {
	Session
	cfg        ServerConfig
	state      serverState
	negotiate  []byte
	challenge  []byte
	chal       ChallengeMessage
	peer       rpc.Peer
	micPresent bool
}

// NewServer returns an acceptor for one handshake.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Creds == nil && cfg.Verifier == nil {
		return nil, fmt.Errorf("ntlm: ServerConfig.Creds or Verifier is required")
	}
	return &Server{cfg: cfg.withDefaults()}, nil
}

// Peer returns the authenticated client once Step returned done.
func (s *Server) Peer() rpc.Peer { return s.peer }

// MICPresent reports whether the client sent a (verified) MIC; SPNEGO
// then requires a mechListMIC ([MS-SPNG] 3.1.5.1, <8>).
func (s *Server) MICPresent() bool { return s.micPresent }

// Step advances the handshake (3.2.5.1.1-2).
func (s *Server) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	switch s.state {
	case serverWaitNegotiate:
		out, err := s.challengeFor(in)
		if err != nil {
			return nil, false, s.fail(err)
		}
		s.state = serverWaitAuthenticate
		return out, false, nil
	case serverWaitAuthenticate:
		if err := s.accept(ctx, in); err != nil {
			return nil, false, s.fail(err)
		}
		s.state = serverDone
		// The handshake messages served the MIC; an established context
		// lives as long as its connection, so it keeps only the session.
		s.negotiate, s.challenge, s.chal = nil, nil, ChallengeMessage{}
		return nil, true, nil
	default:
		return nil, false, fmt.Errorf("%w: acceptor already finished", ErrUnexpectedStep)
	}
}

func (s *Server) fail(err error) error {
	s.state = serverFailed
	return err
}

// challengeFor answers a NEGOTIATE_MESSAGE (3.2.5.1.1).
func (s *Server) challengeFor(in []byte) ([]byte, error) {
	neg, err := ParseNegotiate(in)
	if err != nil {
		return nil, err
	}
	if !neg.Flags.Has(NegotiateExtendedSessionSecurity) {
		return nil, ErrESSRequired
	}
	flags := neg.Flags&serverSupported | NegotiateTargetInfo | RequestTarget |
		NegotiateNTLM | NegotiateAlwaysSign | TargetTypeServer | NegotiateVersion
	switch {
	case neg.Flags.Has(NegotiateUnicode):
		flags &^= NegotiateOEM
	case neg.Flags.Has(NegotiateOEM):
	default:
		return nil, malformed("NEGOTIATE_MESSAGE selects no character set")
	}
	s.chal = ChallengeMessage{
		Flags:      flags,
		TargetName: s.cfg.NetBIOSComputer,
		Version:    s.cfg.Version,
		TargetInfo: AvPairs{
			{AvNbDomainName, utf16le(s.cfg.NetBIOSDomain)},
			{AvNbComputerName, utf16le(s.cfg.NetBIOSComputer)},
			{AvDNSDomainName, utf16le(s.cfg.DNSDomain)},
			{AvDNSComputerName, utf16le(s.cfg.DNSComputer)},
			{AvTimestamp, u64le(Filetime(s.cfg.Now()))},
		},
	}
	if _, err := io.ReadFull(s.cfg.Rand, s.chal.ServerChallenge[:]); err != nil {
		return nil, fmt.Errorf("ntlm: random: %w", err)
	}
	s.negotiate = append([]byte(nil), in...)
	s.challenge = s.chal.Marshal()
	return s.challenge, nil
}
