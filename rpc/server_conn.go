package rpc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

// Limits on per-connection state.
const (
	maxPresContexts = 4096
	maxAuthContexts = 64
	strayCallWindow = 150 // [MS-RPCE] 3.3.3.5.6
)

// serverConn is one accepted connection: one call at a time, no CONC_MPX.
type serverConn struct {
	srv   *Server
	nc    net.Conn
	t     transport
	log   *slog.Logger
	ip    string
	group *assocGroup

	bound bool
	// bindHeaderSign: the bind PDU carried PFC_SUPPORT_HEADER_SIGN, which
	// a verification trailer's CLIENT_SUPPORT_HEADER_SIGNING bit MUST
	// match ([MS-RPCE] 2.2.2.13.2).
	bindHeaderSign bool
	sendFrag       int // largest fragment we send
	maxFrag        int // negotiated max_xmit/max_recv
	pres           map[uint16]*presContext
	auths          map[uint32]*authContext
	reasm          reassembler
	callAuth       *authContext
	lastCallID     uint32
	linger         bool // closing after an error: drain before close
	connLimits

	mu      sync.Mutex
	active  bool
	closing bool
}

// presContext is an accepted presentation context.
type presContext struct {
	id       uint16
	iface    SyntaxID // abstract syntax as the client offered it
	transfer SyntaxID
	syntax   ndr.Syntax
}

func newServerConn(s *Server, nc net.Conn) *serverConn {
	ip := nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	return &serverConn{
		srv: s, nc: nc, t: transport{nc: nc, poolRequests: true, idleRelease: true}, ip: ip,
		log:   s.log.With("remote", nc.RemoteAddr().String()),
		pres:  map[uint16]*presContext{},
		auths: map[uint32]*authContext{},
		reasm: reassembler{max: s.cfg.MaxStub},

		connLimits: connLimits{accepted: time.Now()},
	}
}

func (c *serverConn) serve() {
	defer c.t.releaseBuffers() // last: after lingerClose
	defer c.srv.removeConn(c)
	defer c.lingerClose()
	defer c.recoverPanic()
	c.log.Debug("rpc: connection accepted", "local", c.nc.LocalAddr().String())
	for {
		c.nc.SetReadDeadline(c.readDeadline())
		p, raw, l, err := c.t.readFragment()
		if err != nil {
			c.readFailed(err)
			return
		}
		c.noteActivity(p)
		if !c.setActive(true) {
			return
		}
		keep := c.handle(p, raw, l)
		c.t.releaseFragment() // the call has been answered: nothing refers to raw now
		c.linger = !keep
		if !c.setActive(c.reasm.active) || !keep {
			return
		}
	}
}

// lingerClose half-closes, then drains what the client is still sending
// for a moment so it can read a final fault before the close resets the
// connection (as net/http's closeWriteAndWait).
func (c *serverConn) lingerClose() {
	tc, ok := c.nc.(interface{ CloseWrite() error })
	if c.linger && ok && tc.CloseWrite() == nil {
		c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.Copy(io.Discard, io.LimitReader(c.nc, int64(c.reasm.max)+65536)) // the call limit in force: small before auth
	}
	c.nc.Close()
}

const lingerTimeout = 500 * time.Millisecond

// readTimeout is the handshake timeout before the bind and while a
// security context is mid-handshake, else the idle timeout.
func (c *serverConn) readTimeout() time.Duration {
	cfg := &c.srv.cfg
	if !c.bound {
		return cfg.HandshakeTimeout
	}
	for _, a := range c.auths {
		if !a.done && !a.failed {
			return min(cfg.HandshakeTimeout, cfg.IdleTimeout)
		}
	}
	return cfg.IdleTimeout
}

func (c *serverConn) readFailed(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		c.log.Debug("rpc: connection closed")
	case errors.As(err, &ne) && ne.Timeout():
		c.log.Debug("rpc: connection timed out")
	case errors.Is(err, ErrMalformedPDU), errors.Is(err, ErrUnknownPType), errors.Is(err, ErrShortPDU):
		c.log.Warn("rpc: bad PDU", "err", err)
		c.fault(0, 0, StatusProtoError, false)
	default:
		c.log.Debug("rpc: read failed", "err", err)
	}
}

// setActive marks the connection busy or idle and reports whether it
// should continue; Shutdown closes idle connections.
func (c *serverConn) setActive(a bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active = a
	return !c.closing
}

func (c *serverConn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	if !c.active {
		c.nc.Close()
	}
}

// handle processes one PDU and reports whether to keep the connection.
func (c *serverConn) handle(p *PDU, raw []byte, l layout) bool {
	if p.Version != 5 || p.VersionMinor != 0 {
		if p.Type == PTypeBind {
			c.nak(p.CallID, NakProtocolVersionNotSupp)
		}
		c.log.Warn("rpc: unsupported protocol version", "version", p.Version, "minor", p.VersionMinor)
		return false
	}
	if !c.bound && p.Type != PTypeBind {
		return c.protoError(p.CallID, "PDU before bind", p.Type)
	}
	switch p.Type {
	case PTypeBind:
		return c.handleBind(p)
	case PTypeAlterContext:
		return c.handleAlter(p)
	case PTypeAuth3:
		return c.handleAuth3(p)
	case PTypeRequest:
		return c.handleRequest(p, raw, l)
	case PTypeCoCancel:
		return true // cancels are not supported; the call runs to completion
	case PTypeOrphaned:
		c.reasm.reset()
		return true
	}
	return c.protoError(p.CallID, "unexpected PDU", p.Type)
}

func (c *serverConn) protoError(callID uint32, msg string, t PType) bool {
	c.log.Warn("rpc: protocol error: "+msg, "ptype", t.String(), "call_id", callID)
	c.fault(callID, 0, StatusProtoError, false)
	return false
}

func (c *serverConn) fault(callID uint32, ctxID uint16, status uint32, dne bool) {
	p := &PDU{Header: Header{Version: 5, Type: PTypeFault, Flags: FlagFirstFrag | FlagLastFrag, CallID: callID}}
	if dne {
		p.Flags |= FlagDidNotExecute
	}
	p.Body = &Fault{ContextID: ctxID, Status: status}
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.HandshakeTimeout))
	if err := c.t.writePDU(p, nil); err != nil {
		c.log.Debug("rpc: write fault", "err", err)
	}
}

func (c *serverConn) nak(callID uint32, reason uint16) {
	p := &PDU{Header: Header{Version: 5, Type: PTypeBindNak, Flags: FlagFirstFrag | FlagLastFrag, CallID: callID}}
	p.Body = &BindNak{Reason: reason, Versions: []Version{{5, 0}}}
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.HandshakeTimeout))
	if err := c.t.writePDU(p, nil); err != nil {
		c.log.Debug("rpc: write bind_nak", "err", err)
	}
}

func (c *serverConn) write(p *PDU, ac *authContext) bool {
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.IdleTimeout))
	if err := c.t.writePDU(p, ac); err != nil {
		c.log.Debug("rpc: write", "ptype", p.Type.String(), "err", err)
		return false
	}
	return true
}

// recoverPanic turns a panic outside a handler (decoding, security,
// reassembly) into a closed connection: one bad peer never takes the
// process, or the other connections, down.
func (c *serverConn) recoverPanic() {
	if r := recover(); r != nil {
		c.log.Error("rpc: panic serving a connection; closing it", "remote", c.nc.RemoteAddr().String(),
			"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		c.linger = false
	}
}
