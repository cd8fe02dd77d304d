package iiss

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/iisctl/iisctl/dcom"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// DialConfig says how to reach and authenticate to an IIS ServiceControl
// server: a Windows IIS host or iissd.
type DialConfig struct {
	Host string // name or address, as the user typed it
	Port int    // activator port; default 135

	User     string
	Domain   string
	Password string
	NTHash   [16]byte // used instead of Password when non-zero

	// Level is the authentication level, default privacy (what [MS-IISS]
	// 2.1 requires); integrity is the minimum DCOM accepts (KB5004442).
	Level rpc.AuthLevel
	// SPNEGO wraps NTLM in SPNEGO (auth type 9) instead of raw NTLM (10).
	SPNEGO bool
	// RemoteActivation uses the legacy IActivation activator.
	RemoteActivation bool
	// DialTimeout bounds each TCP connection attempt; default 5s.
	DialTimeout time.Duration
	// Status tunes the Status buffer-size negotiation.
	Status StatusFetchOptions
	Logger *slog.Logger
}

// Conn is a connected IIisServiceControl: a Service to call, and Close to
// release the remote reference ([MS-DCOM] 3.1.1.5.6.1.3).
type Conn struct {
	*Client
	itf *dcom.Interface
}

// Close releases the object and closes the connections.
func (c *Conn) Close() error { return c.itf.Close() }

// RemoteAddr is the object exporter the calls go to.
func (c *Conn) RemoteAddr() string { return c.itf.RemoteAddr() }

// Dial activates IIisServiceControl on cfg.Host ([MS-IISS] 1.3: CLSID
// E8FB8621-…, IID E8FB8620-…) and returns a connected Service.
func Dial(ctx context.Context, cfg DialConfig) (*Conn, error) {
	if cfg.User == "" {
		return nil, fmt.Errorf("iiss: a user name is required (the server allows administrators only)")
	}
	nc := ntlm.ClientConfig{User: cfg.User, Domain: cfg.Domain, Password: cfg.Password, NTHash: cfg.NTHash}
	var auth rpc.Initiator = ntlm.Initiator{Config: nc}
	if cfg.SPNEGO {
		auth = spnego.Initiator{Config: nc}
	}
	itf, err := dcom.Activate(ctx, dcom.ClientConfig{
		Host: cfg.Host, Port: cfg.Port, Auth: auth, Level: cfg.Level,
		RemoteActivation: cfg.RemoteActivation, DialTimeout: cfg.DialTimeout, Logger: cfg.Logger,
	}, CLSID_IIisServiceControl, IID_IIisServiceControl)
	if err != nil {
		return nil, err
	}
	return &Conn{Client: NewClient(itf, cfg.Status), itf: itf}, nil
}
