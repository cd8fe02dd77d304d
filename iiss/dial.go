package iiss

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// DefaultDialTimeout bounds [Dial] when ClientConfig.DialTimeout is zero.
const DefaultDialTimeout = 15 * time.Second

// DefaultPort is the DCOM activation port ([MS-DCOM] 3.1.2: the RPC
// endpoint mapper's well-known port 135).
const DefaultPort = 135

// Auth selects the security provider that authenticates the connections
// ([MS-RPCE] 2.2.1.1.7). The zero value is NTLM.
type Auth int

// Security providers.
const (
	// AuthNTLM is NTLMv2 (RPC_C_AUTHN_WINNT, 10), the default.
	AuthNTLM Auth = iota
	// AuthSPNEGO is SPNEGO offering NTLM only (RPC_C_AUTHN_GSS_NEGOTIATE,
	// 9), what Windows uses when Kerberos is not available.
	AuthSPNEGO
	// AuthNegotiate is SPNEGO (9) with Kerberos when the credentials
	// name a ticket cache or keytab (CCache, Keytab), else with NTLM:
	// what Windows clients use by default.
	AuthNegotiate
	// AuthKerberos is Kerberos V5 (RPC_C_AUTHN_GSS_KERBEROS, 16), with
	// tickets from CCache, Keytab, or User@Domain's Password.
	AuthKerberos
)

// String is the provider's name as iisctl's --auth takes it.
func (a Auth) String() string {
	switch a {
	case AuthNTLM:
		return "ntlm"
	case AuthSPNEGO:
		return "spnego"
	case AuthNegotiate:
		return "negotiate"
	case AuthKerberos:
		return "kerberos"
	}
	return "Auth(" + strconv.Itoa(int(a)) + ")"
}

// AuthLevel is the RPC authentication level of the calls ([MS-RPCE]
// 2.2.1.1.8). The zero value is packet privacy, which [MS-IISS] 2.1
// requires.
type AuthLevel int

// Authentication levels.
const (
	// AuthLevelPrivacy signs and encrypts every packet
	// (RPC_C_AUTHN_LEVEL_PKT_PRIVACY, 6), the default.
	AuthLevelPrivacy AuthLevel = iota
	// AuthLevelIntegrity signs every packet
	// (RPC_C_AUTHN_LEVEL_PKT_INTEGRITY, 5): the least DCOM accepts since
	// Windows' KB5004442 hardening.
	AuthLevelIntegrity
	// AuthLevelConnect authenticates the connection only
	// (RPC_C_AUTHN_LEVEL_CONNECT, 2). Activation refuses it; a server
	// may accept it for the object's calls.
	AuthLevelConnect
)

// String is the level's name as iisctl's --auth-level takes it.
func (l AuthLevel) String() string {
	switch l {
	case AuthLevelPrivacy:
		return "privacy"
	case AuthLevelIntegrity:
		return "integrity"
	case AuthLevelConnect:
		return "connect"
	}
	return "AuthLevel(" + strconv.Itoa(int(l)) + ")"
}

func (l AuthLevel) rpc() rpc.AuthLevel {
	switch l {
	case AuthLevelIntegrity:
		return rpc.AuthLevelIntegrity
	case AuthLevelConnect:
		return rpc.AuthLevelConnect
	}
	return rpc.AuthLevelPrivacy
}

// Credentials say who the caller is. NTLM and SPNEGO use Domain, User
// and Password, or NTHash instead of the password (pass-the-hash).
// Kerberos uses the ticket cache CCache (the client principal is the
// cache's), else User@Domain with the keys of Keytab or its Password.
type Credentials struct {
	Domain   string // NetBIOS or DNS domain (Kerberos: the realm); "" for a local account
	User     string // required
	Password string
	NTHash   []byte // 16 bytes: the NT hash, used instead of Password (NTLM, SPNEGO)

	// CCache is the path of a Kerberos credential cache (as KRB5CCNAME).
	CCache string
	// Keytab is the path of a Kerberos keytab holding User's keys.
	Keytab string
}

// ClientConfig says how [Dial] reaches and authenticates to a server.
// Only Credentials is required; every other zero field takes its default.
type ClientConfig struct {
	Credentials Credentials
	Auth        Auth      // default AuthNTLM
	AuthLevel   AuthLevel // default AuthLevelPrivacy

	// DialTimeout bounds Dial as a whole: the connection to the
	// activation port, activation, and the connection to the object.
	// Default DefaultDialTimeout.
	DialTimeout time.Duration
	// Dial opens TCP connections; default a net.Dialer. Use it to go
	// through a proxy or to pin the source address.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Rand is the randomness of the authentication (client challenges,
	// session keys); default crypto/rand.
	Rand io.Reader
	// Now is the clock of the authentication; default time.Now.
	Now func() time.Time

	// StatusBufferSize is Status's first buffer size; default 4096. The
	// client grows it when the server asks for more.
	StatusBufferSize uint32
	// LegacyActivation activates with IActivation::RemoteActivation
	// instead of IRemoteSCMActivator ([MS-DCOM] 3.1.2.5.2.3.1).
	LegacyActivation bool
	// ClassObjectActivation takes the road of CoGetClassObject, as .NET
	// and PowerShell do: the class object through RemoteGetClassObject
	// (RemoteActivation in MODE_GET_CLASS_OBJECT with LegacyActivation),
	// then IClassFactory::CreateInstance ([MS-DCOM] 3.1.2.5.2.3.2).
	ClassObjectActivation bool
	// Logger receives background failures (pings); default slog.Default().
	Logger *slog.Logger

	// SPN is the server's Kerberos service principal; default host/HOST
	// with HOST as given to Dial.
	SPN string
	// KDC is "host[:port]" of the KDC of Credentials.Domain (the realm)
	// when there is no krb5.conf.
	KDC string
}

// kerberosConfig makes the Kerberos initiator configuration: krb5.conf
// ($KRB5_CONFIG, else /etc/krb5.conf, or Domain and KDC alone), tickets
// from CCache, Keytab or Password, SPN host/HOST unless cfg.SPN.
func kerberosConfig(host string, cfg ClientConfig) (*kerberos.ClientConfig, error) {
	c := cfg.Credentials
	realm := strings.ToUpper(c.Domain)
	if !strings.Contains(realm, ".") && cfg.KDC == "" {
		// A NetBIOS domain (-u CORP\alice) names the krb5.conf realm whose
		// first label it is.
		if conf, err := kerberos.LoadConfig("", "", ""); err == nil {
			if r := realmFor(c.Domain, conf); r != "" {
				realm = r
			}
		}
	}
	if c.CCache == "" && realm == "" {
		return nil, fmt.Errorf("iiss: Kerberos with a password or keytab needs the realm: Credentials.Domain (USER@REALM): %w", kerberos.ErrNoCredentials)
	}
	conf, err := kerberos.LoadConfig("", realm, cfg.KDC)
	if err != nil {
		return nil, err
	}
	var src kerberos.TicketSource
	switch {
	case c.CCache != "":
		src, err = kerberos.FromCCache(c.CCache, conf)
	case c.Keytab != "":
		src, err = kerberos.FromKeytab(c.User, realm, c.Keytab, conf)
	case c.Password != "":
		src = kerberos.FromPassword(c.User, realm, c.Password, conf)
	default:
		err = kerberos.ErrNoCredentials
	}
	if err != nil {
		return nil, err
	}
	spn := cfg.SPN
	if spn == "" {
		spn = "host/" + host
	}
	return &kerberos.ClientConfig{Tickets: src, SPN: spn, Now: cfg.Now, Rand: cfg.Rand}, nil
}

// ErrNotSupported is returned by Dial for a ClientConfig it cannot honour
// yet (such as AuthKerberos).
var ErrNotSupported = errors.New("iiss: not supported yet")

// Dial connects to the IIisServiceControl object of host: activation of
// CLSID_IIisServiceControl on host's port 135 ([MS-IISS] 1.3, [MS-DCOM]
// 3.2.4.1.1), then a connection to the object exporter the server names,
// authenticated as cfg says. host is a name or an address, with an
// optional port ("web01", "10.0.0.5:1135", "[::1]:135").
//
// Errors are classified: errors.Is(err, ErrUnreachable),
// ErrLogonFailure, ErrAccessDenied, ErrTimeout and the rest of the Err
// sentinels tell the causes apart (see [Classify]).
func Dial(ctx context.Context, host string, cfg ClientConfig) (*Client, error) {
	h, port, err := splitHostPort(host)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials.User == "" && !(cfg.Credentials.CCache != "" && (cfg.Auth == AuthKerberos || cfg.Auth == AuthNegotiate)) {
		return nil, fmt.Errorf("iiss: a user name is required (the server allows administrators only)")
	}
	auth, mech, err := initiator(ctx, h, cfg)
	if err != nil {
		if errors.Is(err, kerberos.ErrNoCredentials) || errors.Is(err, kerberos.ErrNoConfig) {
			// No ticket cache, keytab or realm: a logon failure (exit 3
			// in iisctl), with the message saying what to do.
			return nil, fmt.Errorf("%w: %w", ErrLogonFailure, err)
		}
		return nil, err
	}
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	activate := func(auth rpc.Initiator) (*dcom.Interface, error) {
		return dcom.Activate(dctx, dcom.ClientConfig{
			Host: h, Port: port, Auth: auth, Level: cfg.AuthLevel.rpc(),
			RemoteActivation: cfg.LegacyActivation, ClassObject: cfg.ClassObjectActivation, DialTimeout: timeout, Dial: cfg.Dial, Logger: cfg.Logger,
		}, CLSID_IIisServiceControl, IID_IIisServiceControl)
	}
	itf, err := activate(auth)
	if err != nil && mech.byPassword {
		// The KDC accepted the password, the server refused the ticket
		// (no keytab, another SPN): Kerberos is impossible with this
		// server, so negotiate uses NTLM, as Windows' Negotiate does.
		if k, _ := classify(err, true); k == KindLogonFailure {
			nc, nerr := ntlmConfig(cfg)
			if nerr == nil {
				mech = Mechanism{Name: "NTLM", Provider: mech.Provider, Fallback: "the server refused the Kerberos ticket: " + err.Error()}
				itf, err = activate(spnego.Initiator{Config: nc})
			}
		}
	}
	if err != nil {
		return nil, dialError(ctx, h, port, timeout, start, err)
	}
	c := newClient(itf, statusFetchOptions{InitialSize: cfg.StatusBufferSize})
	c.itf, c.addr, c.mech = itf, itf.RemoteAddr(), mech
	return c, nil
}

// splitHostPort accepts "host", "host:port", "[v6]:port" and a bare IPv6
// address.
func splitHostPort(s string) (string, int, error) {
	if s == "" {
		return "", 0, errors.New("iiss: no host")
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		if ip := net.ParseIP(s); ip != nil || !containsColon(s) {
			return s, DefaultPort, nil
		}
		return "", 0, fmt.Errorf("iiss: host %q: %w", s, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("iiss: host %q: bad port %q", s, p)
	}
	return h, port, nil
}

func containsColon(s string) bool {
	for i := range len(s) {
		if s[i] == ':' {
			return true
		}
	}
	return false
}

// Mechanism says how a Client authenticated: the mechanism ("Kerberos"
// or "NTLM"), the provider (auth type) it went through, and, when
// AuthNegotiate could not use Kerberos, why.
type Mechanism struct {
	Name     string // "Kerberos" or "NTLM"
	Provider string // "negotiate" (SPNEGO, 9), "kerberos" (16), "ntlm" (10), "spnego" (9)
	Fallback string // why negotiate fell back to NTLM; "" otherwise
	// byPassword: negotiate chose Kerberos for a password logon, so it
	// may still fall back to NTLM if the server refuses the ticket.
	byPassword bool
}

// String renders "Kerberos (negotiate)" and the like.
func (m Mechanism) String() string {
	s := m.Name + " (" + m.Provider + ")"
	if m.Fallback != "" {
		s += ": Kerberos not possible: " + m.Fallback
	}
	return s
}

// initiator makes the security provider cfg.Auth names for host and says
// which mechanism it uses. AuthNegotiate with a password and a domain
// tries Kerberos first (kerberosForPassword) and uses NTLM only when
// Kerberos is impossible.
func initiator(ctx context.Context, host string, cfg ClientConfig) (rpc.Initiator, Mechanism, error) {
	m := Mechanism{Name: "NTLM", Provider: cfg.Auth.String()}
	i, err := initiatorFor(ctx, host, cfg, &m)
	return i, m, err
}

// ntlmConfig is the NTLM initiator configuration of cfg's credentials.
func ntlmConfig(cfg ClientConfig) (ntlm.ClientConfig, error) {
	c := cfg.Credentials
	nc := ntlm.ClientConfig{User: c.User, Domain: c.Domain, Password: c.Password, Rand: cfg.Rand, Now: cfg.Now}
	if len(c.NTHash) != 0 {
		if len(c.NTHash) != 16 {
			return nc, fmt.Errorf("iiss: an NT hash has 16 bytes, not %d", len(c.NTHash))
		}
		copy(nc.NTHash[:], c.NTHash)
	}
	return nc, nil
}

func initiatorFor(ctx context.Context, host string, cfg ClientConfig, m *Mechanism) (rpc.Initiator, error) {
	c := cfg.Credentials
	nc, err := ntlmConfig(cfg)
	if err != nil {
		return nil, err
	}
	switch cfg.Auth {
	case AuthNTLM:
		return ntlm.Initiator{Config: nc}, nil
	case AuthSPNEGO:
		return spnego.Initiator{Config: nc}, nil
	case AuthNegotiate:
		if c.CCache == "" && c.Keytab == "" {
			kc, why, err := kerberosForPassword(ctx, host, cfg)
			if err != nil {
				return nil, err
			}
			if kc == nil {
				m.Fallback = why
				return spnego.Initiator{Config: nc}, nil
			}
			m.Name, m.byPassword = "Kerberos", true
			return spnego.Initiator{Kerberos: kc}, nil
		}
		kc, err := kerberosConfig(host, cfg)
		if err != nil {
			return nil, err
		}
		m.Name = "Kerberos"
		return spnego.Initiator{Kerberos: kc}, nil
	case AuthKerberos:
		kc, err := kerberosConfig(host, cfg)
		if err != nil {
			return nil, err
		}
		m.Name = "Kerberos"
		return kerberos.Initiator{Config: *kc}, nil
	}
	return nil, fmt.Errorf("iiss: unknown authentication %v", cfg.Auth)
}
