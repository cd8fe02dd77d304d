package iiss

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// ServerConfig configures [NewServer]. Only Users (or Verifier) is required.
type ServerConfig struct {
	// Users are the accounts NTLM and SPNEGO logons are checked against,
	// with the admin bit: only administrators may activate the class and
	// call it ([MS-IISS] 1.5). ntlm.UsersFile is a file-backed source.
	Users ntlm.CredentialSource
	// Verifier, when set, checks NTLM responses instead of Users: for
	// example domain logons passed to the domain controller
	// (internal/winbind), with ntlm.LocalVerifier(Users) as its fallback.
	// Its rpc.Peer (admin bit included) is the caller.
	Verifier ntlm.Verifier

	// Kerberos, when set, accepts Kerberos ([MS-KILE]): auth type 16
	// (RPC_C_AUTHN_GSS_KERBEROS) and inside SPNEGO; the activation and
	// ServerAlive2 bindings then advertise auth service 16 too.
	Kerberos *kerberos.Acceptor

	// How the server names itself in NTLM challenges ([MS-NLMP]
	// 2.2.1.2): defaults derive from the host name.
	NetBIOSComputer, NetBIOSDomain, DNSComputer, DNSDomain string

	// ActivationAddr and ObjectAddr are where ListenAndServe listens: the
	// activator and OXID resolver (default ":135", [MS-DCOM] 3.1.2) and
	// the object exporter (default ":0", a dynamic port).
	ActivationAddr, ObjectAddr string
	// Names are extra addresses advertised to clients for the object
	// (FQDN, NetBIOS name, other IPs), after the address the client used.
	Names []string

	// MinAuthLevel is the lowest authentication level the object's calls
	// may use; default AuthLevelPrivacy ([MS-IISS] 2.1). Activation always
	// requires at least integrity.
	MinAuthLevel AuthLevel
	// PingPeriod is the DCOM ping period ([MS-DCOM] 3.1.2.2): a client
	// that stops pinging loses its reference after three periods.
	// Default 2 minutes.
	PingPeriod time.Duration
	// MaxStatusBuffer bounds the buffer a client may ask Status to fill;
	// default DefaultMaxStatusBuffer.
	MaxStatusBuffer uint32

	// Rand supplies identifiers and challenges; default crypto/rand.
	Rand io.Reader
	// Now is the clock of logons and reference expiry; default time.Now.
	Now func() time.Time
	// Logger receives denials and failures; default slog.Default().
	Logger *slog.Logger

	// Limits bounds unauthenticated clients and throttles failed logons.
	Limits Limits
	// Auditor, if set, receives every refused logon ("Logon", with the
	// account as claimed, address, mechanism and reason) and the logon
	// throttling summaries ("LogonSummary").
	Auditor Auditor
}

// Server serves IIS ServiceControl: DCOM activation of
// CLSID_IIisServiceControl on one endpoint, the object's calls on
// another, each call handed to the backend [Service] (typically a
// [Local]) with the authenticated caller in its context ([CallerFrom]).
type Server struct {
	d *dcom.Server
}

// NewServer assembles a server for backend: the activator, the OXID
// resolver, the object exporter and the IIisServiceControl class, with
// NTLM and SPNEGO logons against cfg.Users.
func NewServer(backend Service, cfg ServerConfig) (*Server, error) {
	if backend == nil {
		return nil, errors.New("iiss: NewServer: no backend")
	}
	if cfg.Users == nil && cfg.Verifier == nil {
		return nil, errors.New("iiss: NewServer: ServerConfig.Users is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := dcom.NewServer(&dcom.ServerConfig{
		ActivationAddr: cfg.ActivationAddr, ObjectAddr: cfg.ObjectAddr, Names: cfg.Names,
		Acceptors:      acceptors(cfg),
		ObjectMinLevel: cfg.MinAuthLevel.rpc(),
		PingPeriod:     cfg.PingPeriod,
		Now:            cfg.Now, Rand: cfg.Rand,
		Logger: cfg.Logger,
		RPC:    cfg.Limits.rpcConfig(cfg.Auditor),
	})
	obj := newObject(backend, objectOptions{MaxStatusBuffer: cfg.MaxStatusBuffer, Logger: cfg.Logger})
	err := d.Register(&dcom.Class{
		CLSID: CLSID_IIisServiceControl,
		Name:  "IIsServiceControl",
		IIDs:  []ndr.GUID{IID_IIisServiceControl, iidIDispatch},
		New:   func(context.Context, dcom.Caller) (dcom.Object, error) { return obj, nil },
	})
	if err != nil {
		return nil, err
	}
	return &Server{d: d}, nil
}

// acceptors are the security providers the server accepts: NTLM (10),
// SPNEGO (9) negotiating NTLM or, with cfg.Kerberos, Kerberos, and
// Kerberos (16) with cfg.Kerberos.
func acceptors(cfg ServerConfig) []rpc.Acceptor {
	nc := ntlm.ServerConfig{
		NetBIOSComputer: cfg.NetBIOSComputer, NetBIOSDomain: cfg.NetBIOSDomain,
		DNSComputer: cfg.DNSComputer, DNSDomain: cfg.DNSDomain,
		Creds: cfg.Users, Verifier: cfg.Verifier, Rand: cfg.Rand, Now: cfg.Now,
	}
	accs := []rpc.Acceptor{ntlm.Acceptor{Config: nc}, spnego.Acceptor{Config: nc, Kerberos: cfg.Kerberos}}
	if cfg.Kerberos != nil {
		accs = append(accs, cfg.Kerberos)
	}
	return accs
}

// Serve accepts activation requests on activation and the object's
// calls on object until Shutdown or Close, which make it return
// ErrServerClosed.
func (s *Server) Serve(activation, object net.Listener) error { return s.d.Serve(activation, object) }

// ListenAndServe listens on ServerConfig.ActivationAddr and ObjectAddr
// and serves.
func (s *Server) ListenAndServe() error { return s.d.ListenAndServe() }

// Shutdown stops accepting, lets the calls in progress finish until ctx
// ends, then closes every connection.
func (s *Server) Shutdown(ctx context.Context) error { return s.d.Shutdown(ctx) }

// Close closes the listeners and every connection at once.
func (s *Server) Close() error { return s.d.Close() }

// ActivationAddr and ObjectAddr are where the server listens, once
// serving (nil before).
func (s *Server) ActivationAddr() net.Addr { return s.d.ActivationAddr() }

// ObjectAddr: see ActivationAddr.
func (s *Server) ObjectAddr() net.Addr { return s.d.ObjectAddr() }

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown
// or Close.
var ErrServerClosed = dcom.ErrServerClosed

// ConnStats counts one endpoint's connections, for metrics.
type ConnStats struct {
	Open    int   // connections open now
	Refused int64 // connections refused over [Limits] since start
	Evicted int64 // unauthenticated connections evicted for a newcomer
}

// ConnStats reports the activation and the object endpoints' connections.
func (s *Server) ConnStats() (activation, object ConnStats) {
	conv := func(a rpc.AdmissionStats) ConnStats {
		return ConnStats{Open: a.PreAuth + a.Admin, Refused: a.Refused, Evicted: a.Evicted}
	}
	act, obj := s.d.AdmissionStats()
	return conv(act), conv(obj)
}
