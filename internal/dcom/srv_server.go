package dcom

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// ServerConfig configures a Server. Zero fields take defaults.
type ServerConfig struct {
	// ActivationAddr is where the activator and the OXID resolver listen
	// (IRemoteSCMActivator, IActivation, IObjectExporter; [MS-DCOM] 3.1.2).
	// Default ":135".
	ActivationAddr string
	// ObjectAddr is where the object exporter listens. Default ":0" (a
	// dynamic port, advertised in the string bindings, [MS-DCOM] 2.2.19.3).
	ObjectAddr string
	// Names are extra network addresses advertised in string bindings
	// (NetBIOS name, FQDN, other IPs), after the address the client used.
	Names []string
	// Acceptors are the authentication services (NTLM, SPNEGO).
	Acceptors []rpc.Acceptor
	// ObjectMinLevel is the lowest auth level the exporter accepts, and
	// the authnHint sent to clients. Default rpc.AuthLevelPrivacy.
	ObjectMinLevel rpc.AuthLevel
	// Logger receives denials and errors. Default slog.Default().
	Logger *slog.Logger
	// Now is the garbage collector's clock; nil means time.Now.
	Now func() time.Time
	// Rand supplies OXIDs, OIDs, IPIDs and set IDs; nil means crypto/rand.
	Rand io.Reader
	// PingPeriod is the ping period ([MS-DCOM] 3.1.2.2); objects expire
	// after PingTimeoutPeriods periods. Default DefaultPingPeriod.
	PingPeriod time.Duration
	// SweepInterval is how often the collector runs. Default PingPeriod/4.
	SweepInterval time.Duration
	// RPC tunes both RPC servers (Acceptors, MinLevel and Logger are
	// overridden). Optional.
	RPC rpc.ServerConfig
}

// Server is a DCOM server: an activator and OXID resolver on one
// endpoint, an object exporter on another ([MS-DCOM] 3.1.1, 3.1.2).
type Server struct {
	cfg     ServerConfig
	log     *slog.Logger
	tab     *table
	act     *rpc.Server
	obj     *rpc.Server
	mu      sync.Mutex
	classes map[ndr.GUID]*Class
	iids    map[ndr.GUID]bool // interfaces registered on the exporter
	actL    net.Listener
	objL    net.Listener
	objPort int
	stop    chan struct{}
	once    sync.Once
	gcDone  chan struct{}
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = rpc.ErrServerClosed

// NewServer returns a server with cfg (nil means defaults).
func NewServer(cfg *ServerConfig) *Server {
	var c ServerConfig
	if cfg != nil {
		c = *cfg
	}
	c.setDefaults()
	s := &Server{
		cfg: c, log: c.Logger, tab: newTable(c.Now, c.Rand, c.PingPeriod),
		classes: map[ndr.GUID]*Class{}, iids: map[ndr.GUID]bool{},
		stop: make(chan struct{}), gcDone: make(chan struct{}),
	}
	s.act = rpc.NewServer(s.rpcConfig(rpc.AuthLevelNone))
	s.obj = rpc.NewServer(s.rpcConfig(c.ObjectMinLevel))
	s.registerActivation()
	s.registerExporter()
	return s
}

func (c *ServerConfig) setDefaults() {
	if c.ActivationAddr == "" {
		c.ActivationAddr = ":135"
	}
	if c.ObjectAddr == "" {
		c.ObjectAddr = ":0"
	}
	if c.ObjectMinLevel == rpc.AuthLevelDefault {
		c.ObjectMinLevel = rpc.AuthLevelPrivacy
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.PingPeriod <= 0 {
		c.PingPeriod = DefaultPingPeriod
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = c.PingPeriod / 4
	}
	if c.RPC.Throttle == nil {
		// One logon throttle for both endpoints: failures on either count.
		c.RPC.Throttle = rpc.NewLogonThrottle(nil)
	}
}

func (s *Server) rpcConfig(min rpc.AuthLevel) *rpc.ServerConfig {
	c := s.cfg.RPC
	c.Acceptors, c.MinLevel, c.Logger = s.cfg.Acceptors, min, s.log
	return &c
}

// Register adds a class. Its interfaces, IDispatch and IUnknown are
// served by the object exporter, and so is IClassFactory: the class
// object RemoteGetClassObject returns ([MS-DCOM] 3.1.2.5.2.3.2).
func (s *Server) Register(c *Class) error {
	if c == nil || c.New == nil {
		return errors.New("dcom: register: class without New")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.classes[c.CLSID]; dup {
		return errors.New("dcom: register: class " + c.CLSID.String() + " already registered")
	}
	s.classes[c.CLSID] = c
	for _, iid := range append([]ndr.GUID{IID_IDispatch, IID_IUnknown, IID_IClassFactory}, c.IIDs...) {
		if err := s.exportIID(iid); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) class(clsid ndr.GUID) *Class {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.classes[clsid]
}

// ListenAndServe listens on ActivationAddr and ObjectAddr and serves.
func (s *Server) ListenAndServe() error {
	act, err := net.Listen("tcp", s.cfg.ActivationAddr)
	if err != nil {
		return err
	}
	obj, err := net.Listen("tcp", s.cfg.ObjectAddr)
	if err != nil {
		act.Close()
		return err
	}
	return s.Serve(act, obj)
}

// Serve serves the activator on act and the object exporter on obj until
// Shutdown or Close, then returns ErrServerClosed. The exporter's port is
// obj's.
func (s *Server) Serve(act, obj net.Listener) error {
	s.mu.Lock()
	if s.actL != nil {
		s.mu.Unlock()
		return errors.New("dcom: server already serving")
	}
	s.actL, s.objL = act, obj
	if a, ok := obj.Addr().(*net.TCPAddr); ok {
		s.objPort = a.Port
	}
	s.mu.Unlock()
	go s.collector()
	errc := make(chan error, 2)
	go func() { errc <- s.act.Serve(act) }()
	go func() { errc <- s.obj.Serve(obj) }()
	err := <-errc
	if !errors.Is(err, rpc.ErrServerClosed) {
		s.Close()
	}
	<-errc
	return err
}

// ActivationAddr is the activator's listening address (nil before Serve).
func (s *Server) ActivationAddr() net.Addr { return s.addr(&s.actL) }

// ObjectAddr is the object exporter's listening address (nil before Serve).
func (s *Server) ObjectAddr() net.Addr { return s.addr(&s.objL) }

func (s *Server) addr(l *net.Listener) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *l == nil {
		return nil
	}
	return (*l).Addr()
}

func (s *Server) exporterPort() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.objPort
}

// Shutdown stops both endpoints gracefully (rpc.Server.Shutdown), stops
// the collector and closes every live object that is an io.Closer.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopCollector()
	err := errors.Join(s.act.Shutdown(ctx), s.obj.Shutdown(ctx))
	s.closeAll()
	return err
}

// Close stops both endpoints immediately.
func (s *Server) Close() error {
	s.stopCollector()
	err := errors.Join(s.act.Close(), s.obj.Close())
	s.closeAll()
	return err
}

func (s *Server) closeAll() {
	for _, o := range s.tab.dropAll() {
		s.closeObject(o)
	}
}

func (s *Server) closeObject(o Object) {
	if c, ok := o.(io.Closer); ok {
		if err := c.Close(); err != nil {
			s.log.Warn("dcom: closing object", "err", err)
		}
	}
}

// AdmissionStats reports the connection slots of the activation and the
// object endpoints (rpc.Server.AdmissionStats), for metrics.
func (s *Server) AdmissionStats() (activation, object rpc.AdmissionStats) {
	return s.act.AdmissionStats(), s.obj.AdmissionStats()
}
