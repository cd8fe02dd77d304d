package kerberos

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/iisctl/iisctl/rpc"
)

// DefaultMaxSkew is the RFC 4120 clock skew allowance.
const DefaultMaxSkew = 5 * time.Minute

// Identity is who an acceptor authenticated.
type Identity struct {
	Principal string // client name, e.g. "alice" or "host/ws1"
	Realm     string
	Service   string // the ticket's service principal, e.g. "host/iis1.example.test"
	// From the PAC ([MS-KILE] 3.4.5.3), when the ticket carries a logon-info buffer.
	HasPAC  bool
	UserSID string
	SIDs    []string // group SIDs (domain groups, then extra SIDs)
	Etype   int32    // encryption type of the session key
}

// String renders principal@REALM.
func (i Identity) String() string { return i.Principal + "@" + i.Realm }

// AcceptorConfig configures Kerberos acceptors.
type AcceptorConfig struct {
	Keytab *keytab.Keytab
	// SPNs lists the service principals (without realm, e.g.
	// "host/iis1.example.test") tickets may name; empty accepts any
	// principal the keytab has a key for.
	SPNs []string
	// MaxSkew defaults to DefaultMaxSkew.
	MaxSkew time.Duration
	// IsAdmin decides the rpc.Peer Admin bit; nil means nobody is.
	IsAdmin func(Identity) bool
	Now     func() time.Time // defaults to time.Now
	Rand    io.Reader        // defaults to crypto/rand
	// Replay is shared by all contexts of one acceptor; NewAcceptor makes it.
	Replay *ReplayCache
}

func (c *AcceptorConfig) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *AcceptorConfig) rnd() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

func (c *AcceptorConfig) skew() time.Duration {
	if c.MaxSkew > 0 {
		return c.MaxSkew
	}
	return DefaultMaxSkew
}

// acceptor states.
const (
	srvStart = iota
	srvThirdLeg
	srvDone
	srvFailed
)

// Server is a Kerberos acceptor context. It implements
// rpc.SecurityContext.
type Server struct {
	Session
	cfg        *AcceptorConfig
	state      int
	sessionKey types.EncryptionKey
	subkey     types.EncryptionKey
	mySeq      uint64
	peerSeq    uint64
	ident      Identity
	peer       rpc.Peer
	framed     bool
	dce        bool
}

// NewServer returns an acceptor context.
func NewServer(cfg *AcceptorConfig) (*Server, error) {
	if cfg == nil || cfg.Keytab == nil {
		return nil, errors.New("kerberos: acceptor needs a keytab")
	}
	return &Server{cfg: cfg}, nil
}

// Step consumes the AP-REQ, then (DCE style) the initiator's AP-REP.
func (s *Server) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	out, done, err := s.step(ctx, in)
	if err != nil {
		s.state = srvFailed
	}
	return out, done, err
}

func (s *Server) step(ctx context.Context, in []byte) ([]byte, bool, error) {
	switch s.state {
	case srvStart:
		return s.acceptAPReqGated(ctx, in)
	case srvThirdLeg:
		return s.acceptThirdLeg(in)
	}
	return nil, false, ErrState
}

// Identity reports the authenticated client (valid once done).
func (s *Server) Identity() Identity { return s.ident }

// Peer reports the authenticated client for the RPC layer.
func (s *Server) Peer() rpc.Peer { return s.peer }

// Framed reports whether the AP-REQ came with GSS framing.
func (s *Server) Framed() bool { return s.framed }

// acceptAPReqGated runs acceptAPReq inside the RPC server's logon gate
// (rpc.LogonGateFrom), when there is one, so that a stream of forged or
// replayed AP-REQs from an address slows down as failed NTLM logons do.
// Only failures a guess produces count (a ticket or authenticator that
// does not decrypt, a replay, a bad checksum), not configuration ones (a
// principal we do not serve).
func (s *Server) acceptAPReqGated(ctx context.Context, in []byte) ([]byte, bool, error) {
	gate := rpc.LogonGateFrom(ctx)
	if gate == nil {
		return s.acceptAPReq(in)
	}
	// The client name is inside the ticket: failures count under one
	// pseudo-account per address.
	if err := gate.Before(ctx, "", "(kerberos)"); err != nil {
		return nil, false, err
	}
	out, done, err := s.acceptAPReq(in)
	if err == nil || errors.Is(err, ErrModified) || errors.Is(err, ErrReplay) || errors.Is(err, ErrMalformed) {
		gate.After(err == nil)
	}
	return out, done, err
}

func (s *Server) acceptAPReq(in []byte) ([]byte, bool, error) {
	req, framed, err := ParseAPReq(in)
	if err != nil {
		return nil, false, err
	}
	s.framed = framed
	tkt := &req.Ticket
	spn := strings.Join(tkt.SName.NameString, "/")
	if !s.accepts(spn) {
		return nil, false, krbErr(errorcode.KRB_AP_ERR_NOT_US, "ticket for %s@%s", spn, tkt.Realm)
	}
	if err := s.decryptTicket(tkt); err != nil {
		return nil, false, err
	}
	now, skew := s.cfg.now().UTC(), s.cfg.skew()
	ep := tkt.DecryptedEncPart
	start := ep.StartTime
	if start.IsZero() {
		start = ep.AuthTime
	}
	if start.Sub(now) > skew || types.IsFlagSet(&ep.Flags, flags.Invalid) {
		return nil, false, krbErr(errorcode.KRB_AP_ERR_TKT_NYV, "ticket for %s valid from %v", spn, start)
	}
	if now.Sub(ep.EndTime) > skew {
		return nil, false, krbErr(errorcode.KRB_AP_ERR_TKT_EXPIRED, "ticket of %s expired at %v", ep.CName.PrincipalNameString(), ep.EndTime)
	}
	if err := parse("authenticator", func() error { return req.DecryptAuthenticator(ep.Key) }); err != nil {
		return nil, false, krbErr(errorcode.KRB_AP_ERR_MODIFIED, "authenticator: %v", err)
	}
	a := &req.Authenticator
	if !a.CName.Equal(ep.CName) || !strings.EqualFold(a.CRealm, ep.CRealm) {
		return nil, false, krbErr(errorcode.KRB_AP_ERR_BADMATCH, "authenticator names %s, ticket %s", a.CName.PrincipalNameString(), ep.CName.PrincipalNameString())
	}
	ct := a.CTime.Add(time.Duration(a.Cusec) * time.Microsecond)
	if d := now.Sub(ct); d > skew || -d > skew {
		return nil, false, krbErr(errorcode.KRB_AP_ERR_SKEW, "client clock differs by %v", d.Round(time.Second))
	}
	if s.cfg.Replay != nil && !s.cfg.Replay.add(a.CName.PrincipalNameString()+"@"+a.CRealm, spn, a.CTime, a.Cusec, now, skew) {
		return nil, false, krbErr(errorcode.KRB_AP_ERR_REPEAT, "authenticator of %s at %v", a.CName.PrincipalNameString(), a.CTime)
	}
	gssFlags, err := checksumFlags(a.Cksum)
	if err != nil {
		return nil, false, err
	}
	mutual := gssFlags&GSSMutual != 0 || types.IsFlagSet(&req.APOptions, flags.APOptionMutualRequired)
	s.dce = gssFlags&GSSDCEStyle != 0
	s.ident = Identity{Principal: a.CName.PrincipalNameString(), Realm: a.CRealm, Service: spn, Etype: ep.Key.KeyType}
	if err := s.readPAC(tkt); err != nil {
		return nil, false, err
	}
	s.sessionKey = ep.Key
	s.peerSeq = uint64(uint32(a.SeqNumber))
	if !mutual && !s.dce {
		key, acc := ep.Key, false
		if len(a.SubKey.KeyValue) > 0 {
			key = a.SubKey
		}
		if err := s.establish(key, acc); err != nil {
			return nil, false, err
		}
		return nil, true, nil
	}
	// AP-REP with a fresh acceptor subkey of the session key's type and
	// our initial sequence number (RFC 4121 4.1; [MS-KILE] 3.4.5.1).
	e, err := crypto.GetEtype(ep.Key.KeyType)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %d", ErrUnsupported, ep.Key.KeyType)
	}
	kb := make([]byte, e.GetKeyByteSize())
	var sb [4]byte
	if _, err := io.ReadFull(s.cfg.rnd(), kb); err != nil {
		return nil, false, err
	}
	if _, err := io.ReadFull(s.cfg.rnd(), sb[:]); err != nil {
		return nil, false, err
	}
	s.subkey = types.EncryptionKey{KeyType: ep.Key.KeyType, KeyValue: kb}
	s.mySeq = uint64(binary.BigEndian.Uint32(sb[:]) & 0x3fffffff)
	rep, err := marshalAPRep(encAPRepPart{CTime: a.CTime, Cusec: a.Cusec, Subkey: s.subkey, SequenceNumber: int64(s.mySeq)}, ep.Key)
	if err != nil {
		return nil, false, err
	}
	if s.dce {
		s.state = srvThirdLeg
		return rep, false, nil
	}
	if err := s.establish(s.subkey, true); err != nil {
		return nil, false, err
	}
	if framed {
		rep = Frame(tokAPRep, rep)
	}
	return rep, true, nil
}

// accepts reports whether spn is one the configuration serves.
func (s *Server) accepts(spn string) bool {
	if len(s.cfg.SPNs) == 0 {
		return true
	}
	for _, p := range s.cfg.SPNs {
		if strings.EqualFold(p, spn) {
			return true
		}
	}
	return false
}

// decryptTicket finds the keytab key for the ticket and decrypts it.
func (s *Server) decryptTicket(t *messages.Ticket) error {
	key, _, err := s.cfg.Keytab.GetEncryptionKey(t.SName, t.Realm, t.EncPart.KVNO, t.EncPart.EType)
	if err != nil {
		// A key of another version or type for the same principal means
		// the keytab is stale rather than for someone else.
		return krbErr(errorcode.KRB_AP_ERR_NOKEY, "no key for %s@%s kvno %d etype %d in the keytab",
			strings.Join(t.SName.NameString, "/"), t.Realm, t.EncPart.KVNO, t.EncPart.EType)
	}
	if err := parse("ticket", func() error { return t.Decrypt(key) }); err != nil {
		return krbErr(errorcode.KRB_AP_ERR_MODIFIED, "ticket for %s does not decrypt with the keytab key", strings.Join(t.SName.NameString, "/"))
	}
	return nil
}

// readPAC verifies and decodes a PAC when the ticket has one ([MS-KILE]
// 3.4.5.3). A PAC whose server signature fails rejects the ticket.
func (s *Server) readPAC(t *messages.Ticket) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = krbErr(errorcode.KRB_AP_ERR_MODIFIED, "PAC decoder panic: %v", r)
		}
	}()
	isPAC, p, perr := t.GetPACType(s.cfg.Keytab, &t.SName, log.New(io.Discard, "", 0))
	if !isPAC {
		return nil
	}
	if perr != nil && p.KerbValidationInfo == nil && p.ServerChecksum != nil {
		// MIT's PAC has no logon-info buffer, which gokrb5 treats as an
		// error before checking the server signature: check it here.
		perr = s.verifyPACServerSig(t, p.ZeroSigData, p.ServerChecksum.SignatureType, p.ServerChecksum.Signature)
	}
	if perr != nil {
		return krbErr(errorcode.KRB_AP_ERR_MODIFIED, "PAC: %v", perr)
	}
	s.ident.HasPAC = true
	if v := p.KerbValidationInfo; v != nil {
		dom := v.LogonDomainID.String()
		s.ident.UserSID = fmt.Sprintf("%s-%d", dom, v.UserID)
		s.ident.SIDs = v.GetGroupMembershipSIDs()
	}
	return nil
}

// verifyPACServerSig checks the PAC server signature ([MS-PAC] 2.8.1)
// over the PAC with both signatures zeroed, keyed with the service key.
func (s *Server) verifyPACServerSig(t *messages.Ticket, zeroed []byte, typ uint32, sig []byte) error {
	key, _, err := s.cfg.Keytab.GetEncryptionKey(t.SName, t.Realm, t.EncPart.KVNO, t.EncPart.EType)
	if err != nil {
		return err
	}
	e, err := crypto.GetChksumEtype(int32(typ))
	if err != nil {
		return err
	}
	if !e.VerifyChecksum(key.KeyValue, zeroed, sig, keyusage.KERB_NON_KERB_CKSUM_SALT) {
		return errors.New("PAC server signature does not verify")
	}
	return nil
}

// acceptThirdLeg checks the initiator's AP-REP: encrypted with the ticket
// session key and echoing our sequence number (DCE style).
func (s *Server) acceptThirdLeg(in []byte) ([]byte, bool, error) {
	p, err := ParseAPRep(in, s.sessionKey)
	if err != nil {
		return nil, false, err
	}
	if uint64(uint32(p.SequenceNumber)) != s.mySeq {
		return nil, false, fmt.Errorf("%w: third leg echoes sequence %d, want %d", ErrSequence, p.SequenceNumber, s.mySeq)
	}
	if err := s.establish(s.subkey, true); err != nil {
		return nil, false, err
	}
	return nil, true, nil
}

func (s *Server) establish(key types.EncryptionKey, acceptorSubkey bool) error {
	if err := s.Session.init(key.KeyType, key.KeyValue, false, acceptorSubkey, s.mySeq, s.peerSeq, s.cfg.rnd()); err != nil {
		return err
	}
	s.peer = rpc.Peer{User: s.ident.Principal, Domain: s.ident.Realm}
	if s.cfg.IsAdmin != nil {
		s.peer.Admin = s.cfg.IsAdmin(s.ident)
	}
	s.state = srvDone
	return nil
}

// ReplayCache remembers authenticators for the skew window (RFC 4120
// 3.2.3). Only authenticators that decrypted are added, so its size is
// bounded by authenticated traffic; Max caps it anyway (oldest evicted).
type ReplayCache struct {
	mu  sync.Mutex
	m   map[string]time.Time
	Max int
}

// NewReplayCache returns an empty cache holding at most max entries.
func NewReplayCache(max int) *ReplayCache {
	return &ReplayCache{m: map[string]time.Time{}, Max: max}
}

// add records an authenticator; false means it was seen before.
func (c *ReplayCache) add(client, spn string, ct time.Time, cusec int, now time.Time, skew time.Duration) bool {
	key := fmt.Sprintf("%s|%s|%d|%d", client, spn, ct.Unix(), cusec)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return false
	}
	if len(c.m) >= c.Max {
		var oldK string
		var oldT time.Time
		for k, t := range c.m {
			if now.Sub(t) > 2*skew {
				delete(c.m, k)
				continue
			}
			if oldK == "" || t.Before(oldT) {
				oldK, oldT = k, t
			}
		}
		if len(c.m) >= c.Max && oldK != "" {
			delete(c.m, oldK)
		}
	}
	c.m[key] = now
	return true
}
