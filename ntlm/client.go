package ntlm

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/iisctl/iisctl/rpc"
)

// ClientConfig configures an initiator.
type ClientConfig struct {
	User     string
	Domain   string
	Password string
	// NTHash is used instead of Password when non-zero (pass-the-hash).
	NTHash      [16]byte
	Workstation string
	// TargetName, if set, is sent as MsvAvTargetName (the server SPN,
	// e.g. "host/server.example.com").
	TargetName string
	// EditAvPairs, if set, edits the AV pairs of the NTLMv2 client blob
	// before they are sent (after MsvAvFlags and MsvAvTargetName are set);
	// a Windows-shaped test client sends Windows' list with it.
	EditAvPairs func(AvPairs) AvPairs
	// Flags for the NEGOTIATE_MESSAGE; zero means DefaultClientFlags.
	Flags NegotiateFlags
	// Version sent in messages; nil means DefaultVersion.
	Version *Version
	// Rand supplies the client challenge and session key; nil means
	// crypto/rand.
	Rand io.Reader
	// Now is the clock used when the server sends no timestamp; nil
	// means time.Now.
	Now func() time.Time
}

type clientState int

const (
	clientStart clientState = iota
	clientWaitChallenge
	clientDone
	clientFailed
)

// Client is an NTLMv2 initiator (3.1). It satisfies rpc.SecurityContext:
// Step(nil) returns the NEGOTIATE_MESSAGE, Step(challenge) returns the
// AUTHENTICATE_MESSAGE with done set. Per-message protection comes from
// the embedded Session.
type Client struct {
	Session
	cfg       ClientConfig
	state     clientState
	negotiate []byte
}

// NewClient returns an initiator for cfg.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Flags == 0 {
		cfg.Flags = DefaultClientFlags
	}
	if cfg.Version == nil {
		v := DefaultVersion
		cfg.Version = &v
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NTHash == ([16]byte{}) {
		cfg.NTHash = NTHash(cfg.Password)
	}
	cfg.Password = ""
	return &Client{cfg: cfg}
}

// Peer returns the zero Peer: an initiator does not authenticate its
// acceptor with NTLM beyond the session key (3.1.5.1.2).
func (c *Client) Peer() rpc.Peer { return rpc.Peer{} }

// Step advances the handshake (3.1.5.1.1-2).
func (c *Client) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	switch c.state {
	case clientStart:
		if len(in) != 0 {
			return nil, false, c.fail(fmt.Errorf("%w: initiator got a token before NEGOTIATE", ErrUnexpectedStep))
		}
		m := &NegotiateMessage{Flags: c.cfg.Flags, Version: c.cfg.Version}
		c.negotiate = m.Marshal()
		c.state = clientWaitChallenge
		return c.negotiate, false, nil
	case clientWaitChallenge:
		out, err := c.authenticate(in)
		if err != nil {
			return nil, false, c.fail(err)
		}
		c.state = clientDone
		return out, true, nil
	default:
		return nil, false, fmt.Errorf("%w: initiator already finished", ErrUnexpectedStep)
	}
}

func (c *Client) fail(err error) error {
	c.state = clientFailed
	return err
}

// authenticate processes the CHALLENGE_MESSAGE and builds the
// AUTHENTICATE_MESSAGE (3.1.5.1.2).
func (c *Client) authenticate(in []byte) ([]byte, error) {
	chal, err := ParseChallenge(in)
	if err != nil {
		return nil, err
	}
	flags := chal.Flags & c.cfg.Flags
	if !flags.Has(NegotiateExtendedSessionSecurity) {
		return nil, ErrESSRequired
	}
	if !flags.Has(NegotiateUnicode) && !flags.Has(NegotiateOEM) {
		return nil, malformed("no character set negotiated")
	}
	if !chal.Flags.Has(NegotiateTargetInfo) || len(chal.TargetInfo) == 0 {
		return nil, malformed("CHALLENGE_MESSAGE without TargetInfo: NTLMv2 needs it")
	}
	var random [8 + 16]byte
	if _, err := io.ReadFull(c.cfg.Rand, random[:]); err != nil {
		return nil, fmt.Errorf("ntlm: random: %w", err)
	}
	clientChal, randomKey := [8]byte(random[:8]), [16]byte(random[8:])

	ts, haveTS := chal.TargetInfo.Timestamp()
	if !haveTS {
		ts = Filetime(c.cfg.Now())
	}
	pairs := append(AvPairs(nil), chal.TargetInfo...)
	if haveTS {
		pairs = pairs.Set(AvFlags, u32le(pairs.Flags()|AvFlagMICPresent))
	}
	if c.cfg.TargetName != "" {
		pairs = pairs.Set(AvTargetName, utf16le(c.cfg.TargetName))
	}
	if c.cfg.EditAvPairs != nil {
		pairs = c.cfg.EditAvPairs(pairs)
	}
	key := NTOWFv2(c.cfg.NTHash, c.cfg.User, c.cfg.Domain)
	nt, sessionBaseKey := NTLMv2Response(key, chal.ServerChallenge, ClientBlob(ts, clientChal, pairs.Marshal()))
	lm := make([]byte, 24)
	if !haveTS {
		lm = LMv2Response(key, chal.ServerChallenge, clientChal)
	}
	auth := &AuthenticateMessage{
		LmChallengeResponse: lm, NtChallengeResponse: nt,
		Domain: c.cfg.Domain, User: c.cfg.User, Workstation: c.cfg.Workstation,
		Flags: flags,
	}
	if flags.Has(NegotiateVersion) {
		auth.Version = c.cfg.Version
	}
	exported := sessionBaseKey // KXKEY for NTLMv2 (3.4.5.1)
	if keyExchanged(flags) {
		esk := EncryptSessionKey(sessionBaseKey, randomKey)
		auth.EncryptedRandomSessionKey = esk[:]
		exported = randomKey
	}
	if haveTS {
		auth.MIC = make([]byte, 16)
	}
	out := auth.Marshal()
	if haveTS {
		mic := ComputeMIC(exported, c.negotiate, in, out)
		SetMIC(out, mic[:])
	}
	c.Session.init(flags, exported, true)
	return out, nil
}
