package kerberos

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/iisctl/iisctl/rpc"
)

// TicketSource obtains service tickets for an initiator: a gokrb5 client
// (ccache, keytab or password) or a fixed ticket in tests.
type TicketSource interface {
	ServiceTicket(ctx context.Context, spn string) (messages.Ticket, types.EncryptionKey, error)
	// Principal is the client principal and realm tickets are issued to.
	Principal() (types.PrincipalName, string)
}

// ClientConfig configures a Kerberos initiator.
type ClientConfig struct {
	Tickets TicketSource
	SPN     string // e.g. "host/iis1.example.test"
	// Framed wraps the AP-REQ in the RFC 2743 framing, as SPNEGO's
	// mechToken carries it; auth type 16 sends it bare ([MS-KILE] 3.4.5.1).
	Framed bool
	Now    func() time.Time
	Rand   io.Reader
}

// client states.
const (
	cliStart = iota
	cliAPRep
	cliDone
	cliFailed
)

// Client is a DCE-style Kerberos initiator. It implements
// rpc.SecurityContext.
type Client struct {
	Session
	cfg        ClientConfig
	state      int
	sessionKey types.EncryptionKey
	auth       types.Authenticator
}

// NewClient returns an initiator context.
func NewClient(cfg ClientConfig) *Client { return &Client{cfg: cfg} }

func (c *Client) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c *Client) rnd() io.Reader {
	if c.cfg.Rand != nil {
		return c.cfg.Rand
	}
	return rand.Reader
}

// Step(nil) returns the AP-REQ; Step(AP-REP) returns the third-leg AP-REP
// and done.
func (c *Client) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	var out []byte
	var done bool
	var err error
	switch c.state {
	case cliStart:
		out, err = c.apReq(ctx)
	case cliAPRep:
		out, done, err = c.apRep(in)
	default:
		err = ErrState
	}
	if err != nil {
		c.state = cliFailed
	}
	return out, done, err
}

// Peer is empty on the initiator.
func (c *Client) Peer() rpc.Peer { return rpc.Peer{} }

func (c *Client) apReq(ctx context.Context) ([]byte, error) {
	if c.cfg.Tickets == nil {
		return nil, ErrNoCredentials
	}
	tkt, key, err := c.cfg.Tickets.ServiceTicket(ctx, c.cfg.SPN)
	if err != nil {
		return nil, fmt.Errorf("kerberos: service ticket for %s: %w", c.cfg.SPN, Classify(err))
	}
	cname, realm := c.cfg.Tickets.Principal()
	var sb [4]byte
	if _, err := io.ReadFull(c.rnd(), sb[:]); err != nil {
		return nil, err
	}
	t := c.now().UTC()
	c.auth = types.Authenticator{
		AVNO:      5,
		CRealm:    realm,
		CName:     cname,
		Cksum:     gssChecksum(GSSMutual | GSSReplay | GSSSequence | GSSConf | GSSInteg | GSSDCEStyle),
		Cusec:     t.Nanosecond() / 1000,
		CTime:     t.Truncate(time.Second),
		SeqNumber: int64(binary.BigEndian.Uint32(sb[:]) & 0x3fffffff),
	}
	ab, err := c.auth.Marshal()
	if err != nil {
		return nil, err
	}
	ed, err := crypto.GetEncryptedData(ab, key, keyusage.AP_REQ_AUTHENTICATOR, 0)
	if err != nil {
		return nil, err
	}
	opts := types.NewKrbFlags()
	types.SetFlag(&opts, flags.APOptionMutualRequired)
	req := messages.APReq{PVNO: 5, MsgType: 14, APOptions: opts, Ticket: tkt, EncryptedAuthenticator: ed}
	b, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	c.sessionKey = key
	c.state = cliAPRep
	if c.cfg.Framed {
		b = Frame(tokAPReq, b)
	}
	return b, nil
}

// apRep checks the acceptor's AP-REP (mutual authentication: it echoes
// our authenticator's time) and answers with the DCE third leg.
func (c *Client) apRep(in []byte) ([]byte, bool, error) {
	p, err := ParseAPRep(in, c.sessionKey)
	if err != nil {
		var ke *KRBError
		if errors.As(err, &ke) {
			return nil, false, fmt.Errorf("kerberos: the server refused the ticket: %w", err)
		}
		return nil, false, err
	}
	if !p.CTime.Equal(c.auth.CTime) || p.Cusec != c.auth.Cusec {
		return nil, false, ErrMutual
	}
	key, acc := c.sessionKey, false
	if len(p.Subkey.KeyValue) > 0 {
		key, acc = p.Subkey, true
	}
	peerSeq := uint64(uint32(p.SequenceNumber))
	t := c.now().UTC()
	third, err := marshalAPRep(encAPRepPart{CTime: t, Cusec: t.Nanosecond() / 1000, SequenceNumber: int64(peerSeq)}, c.sessionKey)
	if err != nil {
		return nil, false, err
	}
	if err := c.Session.init(key.KeyType, key.KeyValue, true, acc, uint64(c.auth.SeqNumber), peerSeq, c.rnd()); err != nil {
		return nil, false, err
	}
	c.state = cliDone
	return third, true, nil
}
