package ctl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/svc"
)

// Switch is the local disable switch ([MS-IISS] 3.1.4);
// *iiss.FileDisableState is one.
type Switch interface {
	Disable() error
	Enable() error
	Disabled() (bool, error)
}

// Users is the users file of the running server. Add and Del must save
// the file and have the server use it before they return.
type Users interface {
	Add(user, domain string, ntHash [16]byte, admin bool) error
	Del(user, domain string) error
	List() ([]User, error)
}

// Config configures a Server. Services is required; a nil Switch, Users
// or Reload makes the matching ops answer "unsupported".
type Config struct {
	// Path is the socket's path, normally SocketPath(state directory).
	Path string

	Services func(ctx context.Context) ([]svc.Status, error)
	Switch   Switch
	Users    Users
	// Reload re-reads the users file (the op "reload", like SIGHUP).
	Reload func() error

	// Logger receives errors and refusals; default slog.Default().
	Logger *slog.Logger
	// Auditor receives a record per state change and per refusal.
	Auditor iiss.Auditor

	// Deadline bounds each connection; default 30 s.
	Deadline time.Duration
	// MaxConns bounds the connections served at once; default 8.
	MaxConns int
	// Mode is the socket's mode; default 0600. Tests widen it to reach
	// the SO_PEERCRED check with another uid.
	Mode os.FileMode
	// Allowed says whether a peer uid may use the channel; default root
	// or this process's effective uid.
	Allowed func(uid uint32) bool
}

// refusedReadWait bounds how long a refused peer's request is waited for.
const refusedReadWait = time.Second

// Server serves the control channel.
type Server struct {
	cfg   Config
	ln    *net.UnixListener
	file  os.FileInfo // the socket file as created, to remove only ours
	slots chan struct{}
	mu    sync.Mutex // serializes state changes

	wg        sync.WaitGroup
	closeOnce sync.Once
	done      chan struct{}
}

// Listen creates the socket and returns a Server ready to Serve. A live
// socket at cfg.Path (another iissd answers) is an error; a stale one is
// replaced.
func Listen(cfg Config) (*Server, error) {
	if cfg.Services == nil {
		return nil, errors.New("ctl: Config.Services is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 30 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 8
	}
	if cfg.Mode == 0 {
		cfg.Mode = 0o600
	}
	if cfg.Allowed == nil {
		self := uint32(os.Geteuid())
		cfg.Allowed = func(uid uint32) bool { return uid == 0 || uid == self }
	}
	ln, err := listenPrivate(cfg.Path, cfg.Mode)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(cfg.Path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("ctl: control socket: %w", err)
	}
	return &Server{cfg: cfg, ln: ln, file: fi, slots: make(chan struct{}, cfg.MaxConns), done: make(chan struct{})}, nil
}

// listenPrivate binds a temporary name beside path, sets mode, and
// renames it over path: the socket never exists at path with another mode.
func listenPrivate(path string, mode os.FileMode) (*net.UnixListener, error) {
	if err := checkStale(path); err != nil {
		return nil, err
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d", filepath.Base(path), os.Getpid()))
	os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("ctl: control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, mode); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("ctl: control socket: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("ctl: control socket: %w", err)
	}
	return ln, nil
}

// checkStale fails if an iissd answers at path and removes a dead socket.
func checkStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ctl: control socket: %w", err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("ctl: control socket %s: exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	switch {
	case err == nil:
		c.Close()
		return fmt.Errorf("ctl: control socket %s: another iissd is serving this state directory", path)
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil // left by an iissd that is gone; the rename replaces it
	}
	return fmt.Errorf("ctl: control socket %s: cannot tell whether another iissd serves it: %w", path, err)
}

// Path is where the socket is.
func (s *Server) Path() string { return s.cfg.Path }

// Serve accepts connections until ctx ends or Close is called; it then
// removes the socket and waits for the connections being served. Accept
// errors (such as running out of file descriptors) are logged and
// retried after a pause that doubles up to a second.
func (s *Server) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	defer s.wg.Wait()
	var pause time.Duration
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			s.cfg.Logger.Error("control socket: accept failed; retrying", "err", err, "pause", pause)
			select {
			case <-time.After(pause):
			case <-s.done:
				return nil
			}
			continue
		}
		pause = 0
		select {
		case s.slots <- struct{}{}:
		default:
			busy(c)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			s.serveConn(ctx, c)
		}()
	}
}

// Close stops accepting and removes the socket, unless another iissd
// has replaced it since.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		if fi, serr := os.Lstat(s.cfg.Path); serr == nil && os.SameFile(fi, s.file) {
			os.Remove(s.cfg.Path)
		}
		err = s.ln.Close()
	})
	return err
}

// busy answers a connection over MaxConns at once, without waiting:
// the line fits in the socket's buffer.
func busy(c *net.UnixConn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	writeResponse(c, failure(CodeBusy, "too many control connections at once; try again"))
}

// peer is who is on the other end of a connection.
type peer struct {
	uid, pid uint32
}

func (p peer) String() string {
	name := strconv.FormatUint(uint64(p.uid), 10)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return fmt.Sprintf("%s (uid %d, pid %d, local socket)", name, p.uid, p.pid)
}

func (s *Server) serveConn(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(s.cfg.Deadline))
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Deadline)
	defer cancel()
	p, err := peerCred(c)
	if err != nil {
		s.cfg.Logger.Error("control socket: cannot identify the peer; refused", "err", err)
		writeResponse(c, failure(CodeAccessDenied, "cannot identify the peer"))
		return
	}
	if !s.cfg.Allowed(p.uid) {
		// Read what it asked (briefly, for the log), then refuse.
		c.SetReadDeadline(time.Now().Add(refusedReadWait))
		req, _ := readRequest(c)
		s.refuse(ctx, c, p, req)
		return
	}
	req, rerr := readRequest(c)
	if errors.Is(rerr, errNoRequest) {
		return // connected and left (a liveness probe such as checkStale)
	}
	if rerr != nil {
		s.cfg.Logger.Warn("control socket: bad request", "peer", p.String(), "err", rerr)
		writeResponse(c, failure(CodeBadRequest, rerr.Error()))
		return
	}
	writeResponse(c, s.handle(ctx, p, req))
}

// refuse answers and audits a peer that may not use the channel.
func (s *Server) refuse(ctx context.Context, c *net.UnixConn, p peer, req Request) {
	msg := fmt.Sprintf("uid %d may not use iissd's control socket: only root and iissd's user (uid %d) may",
		p.uid, os.Geteuid())
	s.cfg.Logger.Warn("control socket: refused", "peer", p.String(), "op", opName(req))
	s.audit(ctx, p, "Local "+opName(req), iiss.E_ACCESSDENIED, errors.New(msg), 0)
	writeResponse(c, failure(CodeAccessDenied, msg))
}

// opName names a refused peer's op for the log: the op alone, bounded
// (a refused peer does not get to write 64 KiB into the audit trail).
func opName(r Request) string {
	switch {
	case r.Op == "":
		return "(unread)"
	case len(r.Op) > 32:
		return strconv.Quote(r.Op[:32] + "…")
	}
	return strconv.Quote(r.Op)
}

// readRequest reads one request line of at most MaxRequest bytes.
func readRequest(c io.Reader) (Request, error) {
	var req Request
	line, err := bufio.NewReader(io.LimitReader(c, MaxRequest)).ReadBytes('\n')
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) && len(line) >= MaxRequest:
		return req, errTooLarge
	case errors.Is(err, io.EOF) && len(line) > 0: // a last line without "\n"
	case errors.Is(err, io.EOF):
		return req, errNoRequest
	default:
		return req, fmt.Errorf("reading the request: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Request{}, fmt.Errorf("malformed request: %w", err)
	}
	return req, nil
}

func writeResponse(c net.Conn, r Response) {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(failure(CodeFailed, "cannot encode the response"))
	}
	c.Write(append(b, '\n'))
}

func failure(code, msg string) Response { return Response{Code: code, Error: msg} }

func failed(err error) Response {
	code := CodeFailed
	switch {
	case errors.Is(err, ErrUnsupported):
		code = CodeUnsupported
	case errors.Is(err, ErrUnknownService):
		code = CodeUnknownService
	case errors.Is(err, ErrBadRequest):
		code = CodeBadRequest
	}
	return failure(code, err.Error())
}

func (s *Server) handle(ctx context.Context, p peer, req Request) Response {
	switch req.Op {
	case OpStatus:
		return s.status(ctx, req.Services)
	case OpUserList:
		if s.cfg.Users == nil {
			return failed(fmt.Errorf("%w: user-list", ErrUnsupported))
		}
		users, err := s.cfg.Users.List()
		if err != nil {
			return failed(err)
		}
		return Response{OK: true, Users: users}
	case OpDisable, OpEnable, OpUserAdd, OpUserDel, OpReload:
		return s.change(ctx, p, req)
	}
	return failure(CodeBadRequest, fmt.Sprintf("unknown op %q", req.Op))
}

// status answers the services named (case-insensitively), or all.
func (s *Server) status(ctx context.Context, names []string) Response {
	list, err := s.cfg.Services(ctx)
	if err != nil {
		return failed(err)
	}
	out := make([]ServiceStatus, 0, len(list))
	if len(names) == 0 {
		for _, st := range list {
			out = append(out, FromSvc(st))
		}
	}
	var unknown []string
	for _, n := range names {
		i := indexFold(list, n)
		if i < 0 {
			unknown = append(unknown, n)
			continue
		}
		out = append(out, FromSvc(list[i]))
	}
	if len(unknown) > 0 {
		known := make([]string, len(list))
		for i, st := range list {
			known[i] = st.Name
		}
		return failed(fmt.Errorf("%w: %s (the Internet services are %s)", ErrUnknownService,
			strings.Join(unknown, ", "), strings.Join(known, ", ")))
	}
	r := Response{OK: true, Services: out}
	if s.cfg.Switch != nil {
		if d, err := s.cfg.Switch.Disabled(); err == nil {
			r.Disabled = &d
		}
	}
	return r
}

func indexFold(list []svc.Status, name string) int {
	for i, st := range list {
		if strings.EqualFold(st.Name, name) {
			return i
		}
	}
	return -1
}

// change runs a state-changing op: serialized, verified, audited.
func (s *Server) change(ctx context.Context, p peer, req Request) Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	var r Response
	err := s.auditRequest(ctx, p, "Local "+req.String(), start)
	if err == nil {
		r, err = s.apply(req)
	}
	hr := iiss.S_OK
	switch {
	case errors.Is(err, iiss.ErrAuditUnavailable):
		hr = hresult.FromWin32(1502)
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrUnsupported):
		hr = hresult.E_INVALIDARG
	case err != nil:
		hr = iiss.E_FAIL
	}
	s.audit(ctx, p, "Local "+req.String(), hr, err, time.Since(start))
	if err != nil {
		s.cfg.Logger.Warn("control socket: "+req.Op+" failed", "peer", p.String(), "err", err)
		return failed(err)
	}
	s.cfg.Logger.Info("control socket: "+r.Message, "peer", p.String())
	return r
}

func (s *Server) apply(req Request) (Response, error) {
	switch req.Op {
	case OpDisable, OpEnable:
		return s.toggle(req.Op == OpDisable)
	case OpReload:
		if s.cfg.Reload == nil {
			return Response{}, fmt.Errorf("%w: reload", ErrUnsupported)
		}
		if err := s.cfg.Reload(); err != nil {
			return Response{}, fmt.Errorf("reload: %w", err)
		}
		return Response{OK: true, Message: "users file reloaded by the running iissd"}, nil
	}
	if s.cfg.Users == nil {
		return Response{}, fmt.Errorf("%w: %s", ErrUnsupported, req.Op)
	}
	if req.User == "" {
		return Response{}, fmt.Errorf("%w: %s needs a user", ErrBadRequest, req.Op)
	}
	if req.Op == OpUserDel {
		if err := s.cfg.Users.Del(req.User, req.Domain); err != nil {
			return Response{}, err
		}
		return Response{OK: true, Message: "removed " + accountName(req) + "; the server uses the change now"}, nil
	}
	h, err := parseHash(req.NTHash)
	if err != nil {
		return Response{}, err
	}
	if err := s.cfg.Users.Add(req.User, req.Domain, h, req.Admin); err != nil {
		return Response{}, err
	}
	return Response{OK: true, Message: "added " + accountName(req) + "; the server uses the change now"}, nil
}

func accountName(r Request) string {
	if r.Domain != "" {
		return r.Domain + `\` + r.User
	}
	return r.User
}

func parseHash(s string) ([16]byte, error) {
	var h [16]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return h, fmt.Errorf("%w: nt_hash wants 32 hex digits", ErrBadRequest)
	}
	copy(h[:], b)
	return h, nil
}

// toggle flips the switch and reads it back: success is only reported
// once the server itself sees the new state.
func (s *Server) toggle(disable bool) (Response, error) {
	if s.cfg.Switch == nil {
		return Response{}, fmt.Errorf("%w: disable/enable", ErrUnsupported)
	}
	verb, set := "enabled", s.cfg.Switch.Enable
	if disable {
		verb, set = "disabled", s.cfg.Switch.Disable
	}
	if err := set(); err != nil {
		return Response{}, err
	}
	now, err := s.cfg.Switch.Disabled()
	if err != nil {
		return Response{}, fmt.Errorf("reading the switch back: %w", err)
	}
	if now != disable {
		return Response{}, fmt.Errorf("the switch reads %v after being %s", now, verb)
	}
	msg := "remote control of the Internet services is now " + verb
	if p, ok := s.cfg.Switch.(interface{ Path() string }); ok {
		msg += " (" + p.Path() + ")"
	}
	return Response{OK: true, Message: msg, Disabled: &now}, nil
}

// auditRequest writes the request record of a local change before it
// runs (iiss.CheckedAuditor); a trail that cannot be written refuses the
// change (fail closed, as iiss.Local does for the wire methods).
func (s *Server) auditRequest(ctx context.Context, p peer, method string, at time.Time) error {
	ca, ok := s.cfg.Auditor.(iiss.CheckedAuditor)
	if !ok {
		return nil
	}
	if err := ca.AuditRequest(ctx, iiss.AuditRecord{Time: at, Caller: iiss.Caller{User: p.String()}, Method: method}); err != nil {
		return fmt.Errorf("%s refused: the audit trail cannot be written: %w: %w", method, iiss.ErrAuditUnavailable, err)
	}
	return nil
}

func (s *Server) audit(ctx context.Context, p peer, method string, hr iiss.HRESULT, err error, d time.Duration) {
	if s.cfg.Auditor == nil {
		return
	}
	s.cfg.Auditor.Audit(ctx, iiss.AuditRecord{Time: time.Now(), Caller: iiss.Caller{User: p.String()},
		Method: method, Result: hr, Err: err, Duration: d})
}
