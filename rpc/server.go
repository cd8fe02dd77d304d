package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Server defaults.
const (
	DefaultMaxFragment      = 5840
	DefaultIdleTimeout      = 5 * time.Minute
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultMaxConns         = 1024
	DefaultMaxConnsPerAddr  = 128
	minNegotiatedFragment   = 2048
)

// ServerConfig configures a [Server]. Zero fields take defaults.
type ServerConfig struct {
	// Acceptors are the authentication services offered, by AuthType.
	Acceptors []Acceptor
	// MinLevel is the lowest auth level accepted on a request to an
	// interface that does not override it. Default AuthLevelPrivacy.
	MinLevel AuthLevel
	// MaxFragment caps the negotiated fragment size. Default 5840.
	MaxFragment uint16
	// MaxStub caps a reassembled request stub. Default 4 MiB.
	MaxStub int
	// PreAuthMaxStub caps a reassembled stub under no authenticated
	// context (see admission.go). Default: 4 fragments of the negotiated size.
	PreAuthMaxStub int
	// MaxConns caps concurrent connections. Default 1024; negative means
	// unlimited. Over it a newcomer may evict an unauthenticated
	// connection of the address holding most, else it is refused with
	// bind_nak local_limit_exceeded (admission.go).
	MaxConns int
	// AdminReserve is the part of MaxConns only connections authenticated
	// as administrators may use. Default min(32, MaxConns/8); negative 0.
	AdminReserve int
	// MaxConnsPerAddr caps the unauthenticated connections of one remote
	// IP. Default 128; negative means unlimited.
	MaxConnsPerAddr int
	// IdleTimeout closes a connection with no bind, alter_context, auth3
	// or request for this long (co_cancel does not count). Default 5m.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds the wait for the bind and for each
	// authentication leg, and the life of a connection that has not
	// authenticated (the handshake deadline). Default 30s.
	HandshakeTimeout time.Duration
	// Throttle slows failed logons down per address and account (see
	// [LogonThrottle]); acceptors consult it through [LogonGateFrom].
	// Default: a throttle of this server's own; share one between
	// servers.
	Throttle *LogonThrottle
	// OnSecurityEvent receives every refused logon and call (who, from
	// where, mechanism, reason), e.g. for the audit trail. It must not
	// block for long.
	OnSecurityEvent func(SecurityEvent)
	// Logger receives structured logs; tokens and keys are never logged.
	// Default: slog.Default().
	Logger *slog.Logger
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.MinLevel == AuthLevelDefault {
		c.MinLevel = AuthLevelPrivacy
	}
	if c.MaxFragment == 0 {
		c.MaxFragment = DefaultMaxFragment
	}
	if c.MaxStub <= 0 {
		c.MaxStub = DefaultMaxStub
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.AdminReserve == 0 && c.MaxConns > 0 {
		c.AdminReserve = min(DefaultAdminReserve, c.MaxConns/8)
	}
	c.AdminReserve = max(c.AdminReserve, 0)
	if c.MaxConnsPerAddr == 0 {
		c.MaxConnsPerAddr = DefaultMaxConnsPerAddr
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Throttle == nil {
		c.Throttle = NewLogonThrottle(nil)
	}
	return c
}

type ifaceKey struct {
	uuid  [16]byte
	major uint16
}

// Server serves connection-oriented DCE/RPC over TCP. Create it with
// [NewServer], register interfaces, then call Serve.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	ifaces    map[ifaceKey]*Interface
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	groups    map[uint32]*assocGroup
	nextGroup uint32
	closed    atomic.Bool
	adm       *admission
}

type assocGroup struct {
	id   uint32
	ip   string
	refs int
}

// NewServer returns a server with cfg (nil means defaults).
func NewServer(cfg *ServerConfig) *Server {
	var c ServerConfig
	if cfg != nil {
		c = *cfg
	}
	c = c.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	c.Throttle.setLogger(c.Logger)
	return &Server{
		cfg: c, log: c.Logger, ctx: ctx, cancel: cancel,
		ifaces:    map[ifaceKey]*Interface{},
		listeners: map[net.Listener]struct{}{},
		conns:     map[*serverConn]struct{}{},
		groups:    map[uint32]*assocGroup{},
		nextGroup: 0x1000,
		adm:       newAdmission(),
	}
}

// Register adds an interface. It fails if (UUID, Major) is taken.
func (s *Server) Register(ifc Interface) error {
	if ifc.Handler == nil {
		return errors.New("rpc: register: nil handler")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ifaceKey{ifc.UUID, ifc.Major}
	if _, dup := s.ifaces[k]; dup {
		return fmt.Errorf("rpc: register: interface %v v%d already registered", ifc.UUID, ifc.Major)
	}
	s.ifaces[k] = &ifc
	return nil
}

// Unregister removes an interface; calls on contexts already bound to it
// get nca_s_unk_if.
func (s *Server) Unregister(uuid [16]byte, major uint16) {
	s.mu.Lock()
	delete(s.ifaces, ifaceKey{uuid, major})
	s.mu.Unlock()
}

func (s *Server) lookup(id SyntaxID) *Interface {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ifaces[ifaceKey{id.UUID, id.Major}]
}

func (s *Server) acceptor(t AuthType) Acceptor {
	if t == 0xFF {
		t = AuthTypeNTLM
	}
	for _, a := range s.cfg.Acceptors {
		if a.AuthType() == t {
			return a
		}
	}
	return nil
}

// ListenAndServe listens on the TCP address and serves.
func (s *Server) ListenAndServe(addr string) error {
	if s.closed.Load() {
		return ErrServerClosed
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Shutdown or Close, and returns
// ErrServerClosed then. It closes l.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer s.dropListener(l)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closed.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.startConn(nc)
	}
}

func (s *Server) dropListener(l net.Listener) {
	s.mu.Lock()
	delete(s.listeners, l)
	s.mu.Unlock()
	l.Close()
}

func (s *Server) startConn(nc net.Conn) {
	c := newServerConn(s, nc)
	if s.closed.Load() {
		nc.Close()
		return
	}
	victim, ok := s.admit(c)
	if !ok {
		s.refuse(c)
		return
	}
	if victim != nil {
		s.evict(victim)
	}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.noteAccepted()
	go c.serve()
}

func (s *Server) removeConn(c *serverConn) {
	s.release(c)
	s.mu.Lock()
	delete(s.conns, c)
	if g := c.group; g != nil {
		if g.refs--; g.refs == 0 {
			delete(s.groups, g.id)
		}
	}
	s.mu.Unlock()
}

// joinGroup returns the association group for a bind: a new one for id 0,
// the existing one when ip matches its creator's, else nil.
func (s *Server) joinGroup(id uint32, ip string) *assocGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == 0 {
		for s.groups[s.nextGroup] != nil || s.nextGroup == 0 {
			s.nextGroup++
		}
		g := &assocGroup{id: s.nextGroup, ip: ip}
		s.nextGroup++
		s.groups[g.id] = g
		g.refs++
		return g
	}
	g := s.groups[id]
	if g == nil || g.ip != ip {
		return nil
	}
	g.refs++
	return g
}

// Shutdown stops accepting, closes idle connections, waits for in-flight
// calls to finish and their connections to close, then returns nil, or
// ctx's error if it expires first (remaining connections are then
// closed). Serve returns ErrServerClosed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if s.closeIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close closes listeners and all connections immediately and cancels
// in-flight handler contexts.
func (s *Server) Close() error {
	s.closeListeners()
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
	return nil
}

func (s *Server) closeListeners() {
	s.closed.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		l.Close()
	}
}

// closeIdle closes connections not inside a call and reports whether no
// connections remain.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.closeIfIdle()
	}
	return len(s.conns) == 0
}
