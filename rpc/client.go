package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

// ClientConfig configures a client [Conn]. Zero fields take defaults.
type ClientConfig struct {
	// MaxFragment is the max_xmit_frag and max_recv_frag offered. Default 5840.
	MaxFragment uint16
	// MaxStub caps a reassembled response stub. Default 4 MiB.
	MaxStub int
	// AssocGroup joins an existing association group (0 creates one).
	AssocGroup uint32
}

// Conn is a client connection. Calls are serialized: one call at a time
// per connection, as the server does not multiplex (no CONC_MPX).
//
// Cancellation: when a call's ctx is cancelled or its deadline passes
// mid-call, the connection is closed (the call cannot be resumed) and
// the call returns ctx.Err(); later calls return ErrConnClosed.
type Conn struct {
	nc  net.Conn
	t   transport
	cfg ClientConfig
	sem chan struct{} // one exchange at a time

	bound      bool
	assocGroup uint32
	maxXmit    int // largest fragment we send (server's max_recv)
	maxRecv    int
	nextCallID uint32
	nextCtxID  uint16
	nextAuthID uint32
	reasm      reassembler

	mu     sync.Mutex
	closed bool
	err    error
}

// PresContext is a negotiated presentation context, the handle for calls.
type PresContext struct {
	ID        uint16
	Interface SyntaxID
	Transfer  SyntaxID
	Syntax    ndr.Syntax
	// Features is the bind-time feature bitmask the server granted.
	Features uint16
	// Auth is the security context calls on this presentation context
	// use; nil for unauthenticated calls.
	Auth *AuthContext
}

// AuthContext is a client security context on a connection.
type AuthContext struct {
	ac *authContext
}

// ID is the auth_context_id.
func (a *AuthContext) ID() uint32 { return a.ac.id }

// Level is the negotiated auth level.
func (a *AuthContext) Level() AuthLevel { return a.ac.level }

// Type is the authentication service.
func (a *AuthContext) Type() AuthType { return a.ac.typ }

// Security is the underlying SecurityContext (e.g. for its session key).
func (a *AuthContext) Security() SecurityContext { return a.ac.sc }

// AuthOptions requests a new security context during a bind or alter.
type AuthOptions struct {
	Initiator Initiator
	Level     AuthLevel
}

// BindOptions controls Bind and AlterContext.
type BindOptions struct {
	// Syntaxes are offered in order, one context element each. Default
	// {NDR20}. Offer {NDR64, NDR20} to prefer NDR64; the server decides.
	Syntaxes []ndr.Syntax
	// Features, when non-zero, offers bind-time feature negotiation with
	// this bitmask (e.g. FeatureSecurityContextMultiplexing).
	Features uint16
	// Auth establishes a new security context with this bind or alter.
	Auth *AuthOptions
	// AuthContext reuses an established context for calls (ignored when
	// Auth is set).
	AuthContext *AuthContext
}

// Dial connects to a TCP address ("host:port").
func Dial(ctx context.Context, addr string, cfg *ClientConfig) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewConn(nc, cfg), nil
}

// NewConn wraps an established connection.
func NewConn(nc net.Conn, cfg *ClientConfig) *Conn {
	var c ClientConfig
	if cfg != nil {
		c = *cfg
	}
	if c.MaxFragment == 0 {
		c.MaxFragment = DefaultMaxFragment
	}
	if c.MaxStub <= 0 {
		c.MaxStub = DefaultMaxStub
	}
	return &Conn{
		nc: nc, t: transport{nc: nc, client: true}, cfg: c, sem: make(chan struct{}, 1),
		nextCallID: 1, assocGroup: c.AssocGroup,
		maxXmit: int(c.MaxFragment), maxRecv: int(c.MaxFragment),
		reasm: reassembler{max: c.MaxStub},
	}
}

// AssocGroup is the association group the server assigned at bind.
func (c *Conn) AssocGroup() uint32 { return c.assocGroup }

// MaxFragments reports the negotiated fragment sizes: the largest we send
// and the largest the server sends.
func (c *Conn) MaxFragments() (xmit, recv int) { return c.maxXmit, c.maxRecv }

// LocalAddr and RemoteAddr report the TCP endpoints.
func (c *Conn) LocalAddr() net.Addr  { return c.nc.LocalAddr() }
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Close closes the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.err == nil {
		c.err = ErrConnClosed
	}
	return c.nc.Close()
}

// acquire takes the connection for one exchange and arms ctx's deadline
// and cancellation; release undoes it, closing the connection if the
// exchange was interrupted or broke the stream.
func (c *Conn) acquire(ctx context.Context) (release func(*error), err error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	err = c.err
	c.mu.Unlock()
	if err != nil {
		<-c.sem
		return nil, err
	}
	dl, hasDL := ctx.Deadline()
	c.nc.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	return func(perr *error) {
		interrupted := !stop()
		if *perr != nil && (interrupted || ctx.Err() != nil || hasDL && isTimeout(*perr)) {
			cause := ctx.Err()
			if cause == nil {
				cause = context.DeadlineExceeded
			}
			*perr = fmt.Errorf("rpc: call interrupted: %w", cause)
		}
		if *perr != nil && fatal(*perr) {
			c.fail(*perr)
		}
		<-c.sem
	}, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fatal reports errors after which the byte stream is unusable.
func fatal(err error) bool {
	var fe *FaultError
	var ne *BindNakError
	var re *ContextRejectedError
	return !errors.As(err, &fe) && !errors.As(err, &ne) && !errors.As(err, &re)
}

func (c *Conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = fmt.Errorf("%w: %w", ErrConnClosed, err)
	}
	c.closed = true
	c.nc.Close()
}

func (c *Conn) callID() uint32 {
	id := c.nextCallID
	c.nextCallID++
	if c.nextCallID > 0x7FFFFFFF {
		c.nextCallID = 1
	}
	return id
}
