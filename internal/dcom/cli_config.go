package dcom

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// ClientConfig configures Activate. Zero fields take defaults.
type ClientConfig struct {
	// Host is the server as the user typed it (name or IP).
	Host string
	// Port is the activator's port. Default 135 ([MS-DCOM] 3.1.2).
	Port int
	// Auth creates security contexts (ntlm.Initiator, or an SPNEGO one);
	// each connection gets a new one. Required.
	Auth rpc.Initiator
	// Level is the authentication level, at least PKT_INTEGRITY
	// (KB5004442). Default rpc.AuthLevelPrivacy. The object exporter is
	// called at max(Level, authnHint).
	Level rpc.AuthLevel
	// RemoteActivation uses IActivation::RemoteActivation instead of
	// IRemoteSCMActivator::RemoteCreateInstance ([MS-DCOM] 3.1.2.5.2.3.1).
	// Activate falls back to it anyway when the server lacks the latter.
	RemoteActivation bool
	// ClassObject takes the road of CoGetClassObject, as .NET and
	// PowerShell do: the class object through RemoteGetClassObject (or
	// RemoteActivation in MODE_GET_CLASS_OBJECT), then
	// IClassFactory::CreateInstance ([MS-DCOM] 3.1.2.5.2.3.2).
	ClassObject bool
	// DialTimeout bounds each connection attempt to an exporter binding.
	// Default 5s.
	DialTimeout time.Duration
	// PingPeriod is how often held references are pinged ([MS-DCOM]
	// 3.2.6.1). Default DefaultPingPeriod; negative disables pinging.
	PingPeriod time.Duration
	// RPC tunes the connections. Optional.
	RPC rpc.ClientConfig
	// Dial opens the TCP connections (activator and exporter); nil means
	// a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives ping failures. Default slog.Default().
	Logger *slog.Logger
}

func (c ClientConfig) withDefaults() (ClientConfig, error) {
	if c.Auth == nil {
		return c, fmt.Errorf("dcom: ClientConfig.Auth is required")
	}
	if c.Host == "" {
		return c, fmt.Errorf("dcom: ClientConfig.Host is required")
	}
	if c.Port == 0 {
		c.Port = 135
	}
	if c.Level == rpc.AuthLevelDefault {
		c.Level = rpc.AuthLevelPrivacy
	}
	if c.Level < rpc.AuthLevelIntegrity {
		return c, fmt.Errorf("dcom: authentication level %d is below packet integrity", c.Level)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.PingPeriod == 0 {
		c.PingPeriod = DefaultPingPeriod
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// ActivationError is a failed activation or QueryInterface: the HRESULT
// the server returned. errors.Is(err, E_ACCESSDENIED) and the like work.
type ActivationError struct {
	Op string // "RemoteCreateInstance", "RemoteGetClassObject", "RemoteActivation", "RemQueryInterface", "IClassFactory::CreateInstance"
	HR HRESULT
}

func (e *ActivationError) Error() string {
	return fmt.Sprintf("dcom: %s: %s", e.Op, HRESULTName(e.HR))
}

// Unwrap returns the HRESULT.
func (e *ActivationError) Unwrap() error { return e.HR }

// HRESULTName renders h as "E_ACCESSDENIED (0x80070005)" when known.
func HRESULTName(h HRESULT) string { return h.String() }

// newORPCThis returns ORPCTHIS for a call: COM 5.7, no flags and a fresh
// causality ID ([MS-DCOM] 2.2.13.3, 3.2.4.2).
func newORPCThis() ORPCThis {
	var cid ndr.GUID
	if _, err := rand.Read(cid[:]); err != nil {
		panic("dcom: crypto/rand failed: " + err.Error())
	}
	return ORPCThis{Version: serverVersion, CID: cid}
}

// dial connects to addr with cfg.Dial and wraps the connection for RPC.
func (c *ClientConfig) dial(ctx context.Context, addr string) (*rpc.Conn, error) {
	d := c.Dial
	if d == nil {
		d = (&net.Dialer{}).DialContext
	}
	nc, err := d(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return rpc.NewConn(nc, &c.RPC), nil
}
