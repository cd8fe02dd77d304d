package dcom

import (
	"context"
	"errors"
	"sync"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// session is a connection to one object exporter (OXID), shared by the
// interfaces obtained through it.
type session struct {
	cfg    ClientConfig
	conn   *rpc.Conn
	level  rpc.AuthLevel
	oxid   uint64
	remUnk ndr.GUID
	ping   *pinger

	mu    sync.Mutex
	auth  *rpc.AuthContext
	pcs   map[ndr.GUID]*rpc.PresContext
	nOpen int // interfaces not yet closed
}

func newSession(cfg ClientConfig, conn *rpc.Conn, a *activation) *session {
	level := cfg.Level
	if h := rpc.AuthLevel(a.authnHint); h > level && h <= rpc.AuthLevelPrivacy {
		level = h
	}
	s := &session{cfg: cfg, conn: conn, level: level, oxid: a.oxid, remUnk: a.remUnk, pcs: map[ndr.GUID]*rpc.PresContext{}}
	if cfg.PingPeriod > 0 {
		s.ping = newPinger(cfg)
	}
	return s
}

// context returns the presentation context for iid: the first one is a
// bind with a new security context, later ones alter_context reusing it.
// The first bind also offers IRemUnknown, which Close needs for
// RemRelease, so that releasing costs no alter_context round trip.
func (s *session) context(ctx context.Context, iid ndr.GUID) (*rpc.PresContext, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pc, ok := s.pcs[iid]; ok {
		return pc, nil
	}
	opts := &rpc.BindOptions{AuthContext: s.auth}
	if s.auth == nil {
		opts.Auth = &rpc.AuthOptions{Initiator: s.cfg.Auth, Level: s.level}
		ifaces := []rpc.SyntaxID{{UUID: iid}}
		if iid != IID_IRemUnknown {
			ifaces = append(ifaces, rpc.SyntaxID{UUID: IID_IRemUnknown})
		}
		pcs, err := s.conn.BindAll(ctx, ifaces, opts)
		if err != nil {
			return nil, err
		}
		s.auth = pcs[0].Auth
		for i, pc := range pcs {
			if pc != nil {
				s.pcs[ifaces[i].UUID] = pc
			}
		}
		return pcs[0], nil
	}
	pc, err := s.conn.Bind(ctx, rpc.SyntaxID{UUID: iid}, opts)
	if err != nil {
		return nil, err
	}
	s.pcs[iid] = pc
	return pc, nil
}

// open wraps a reference the server gave us in an Interface.
func (s *session) open(ctx context.Context, iid ndr.GUID, std StdObjRef) (*Interface, error) {
	pc, err := s.context(ctx, iid)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.nOpen++
	s.mu.Unlock()
	itf := &Interface{s: s, pc: pc, iid: iid, std: std}
	if s.ping != nil && std.Flags&SORFNoPing == 0 {
		s.ping.add(std.OID)
	}
	return itf, nil
}

// closeOne drops an interface; the last one closes the connection and
// stops pinging.
func (s *session) closeOne() error {
	s.mu.Lock()
	s.nOpen--
	last := s.nOpen == 0
	s.mu.Unlock()
	if !last {
		return nil
	}
	if s.ping != nil {
		s.ping.close()
	}
	return s.conn.Close()
}

// Interface is a client reference to a remote interface ([MS-DCOM]
// 3.2.4.2). Its Call matches iiss.ClientConn. Safe for concurrent use;
// calls are serialized on the connection.
type Interface struct {
	s   *session
	pc  *rpc.PresContext
	iid ndr.GUID
	std StdObjRef

	mu     sync.Mutex
	closed bool
}

// ErrClosed is returned by calls on a closed Interface.
var ErrClosed = errors.New("dcom: interface closed")

// IID, IPID, OXID and OID identify the reference.
func (i *Interface) IID() ndr.GUID  { return i.iid }
func (i *Interface) IPID() ndr.GUID { return i.std.IPID }
func (i *Interface) OXID() uint64   { return i.std.OXID }
func (i *Interface) OID() uint64    { return i.std.OID }

// RemoteAddr is the object exporter's address.
func (i *Interface) RemoteAddr() string { return i.s.conn.RemoteAddr().String() }

// Call makes an ORPC call ([MS-DCOM] 3.2.4.2): ORPCTHIS with a fresh
// causality ID, then req's parameters; object = IPID. After ORPCTHAT, resp
// reads the [out] parameters. Faults are *rpc.FaultError; resp's error is
// returned as is.
func (i *Interface) Call(ctx context.Context, opnum uint16, req func(*ndr.Writer), resp func(*ndr.Reader) error) error {
	if i.isClosed() {
		return ErrClosed
	}
	return orpcCall(ctx, i.s.conn, i.pc, opnum, i.std.IPID, req, resp)
}

func orpcCall(ctx context.Context, conn *rpc.Conn, pc *rpc.PresContext, opnum uint16, ipid ndr.GUID, req func(*ndr.Writer), resp func(*ndr.Reader) error) error {
	w := ndr.NewWriter(pc.Syntax)
	this := newORPCThis()
	w.Marshal(&this)
	if req != nil {
		req(w)
	}
	if err := w.Err(); err != nil {
		return err
	}
	out, err := conn.Call(ctx, pc, opnum, &ipid, w.Bytes())
	if err != nil {
		return err
	}
	r := ndr.NewReader(out, pc.Syntax)
	var that ORPCThat
	r.Unmarshal(&that)
	if err := r.Err(); err != nil {
		return err
	}
	if resp == nil {
		return nil
	}
	return resp(r)
}

func (i *Interface) isClosed() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.closed
}

// Close releases the reference (IRemUnknown::RemRelease on ipidRemUnknown,
// [MS-DCOM] 3.1.1.5.6.1.3) and, with the last interface of its
// connection, closes the connection and stops pinging.
func (i *Interface) Close() error {
	return i.CloseContext(context.Background())
}

// CloseContext is Close bounded by ctx.
func (i *Interface) CloseContext(ctx context.Context) error {
	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		return nil
	}
	i.closed = true
	i.mu.Unlock()
	var err error
	if i.std.CPublicRefs > 0 {
		err = i.s.remRelease(ctx, i.std.IPID, i.std.CPublicRefs)
	}
	if i.s.ping != nil {
		i.s.ping.remove(i.std.OID)
	}
	return errors.Join(err, i.s.closeOne())
}
