package kerberos

import "github.com/iisctl/iisctl/rpc"

// Compile-time checks that the contexts fit the RPC layer.
var (
	_ rpc.SecurityContext = (*Client)(nil)
	_ rpc.SecurityContext = (*Server)(nil)
	_ rpc.Acceptor        = (*Acceptor)(nil)
	_ rpc.Initiator       = Initiator{}
)

// Acceptor makes Kerberos server contexts for auth type 16
// (RPC_C_AUTHN_GSS_KERBEROS) from one configuration.
type Acceptor struct{ Config *AcceptorConfig }

// NewAcceptor returns an Acceptor with a replay cache.
func NewAcceptor(cfg AcceptorConfig) *Acceptor {
	if cfg.Replay == nil {
		cfg.Replay = NewReplayCache(100000)
	}
	return &Acceptor{Config: &cfg}
}

// AuthType returns rpc.AuthTypeKerberos.
func (*Acceptor) AuthType() rpc.AuthType { return rpc.AuthTypeKerberos }

// NewServerContext returns a fresh Server.
func (a *Acceptor) NewServerContext() (rpc.SecurityContext, error) { return NewServer(a.Config) }

// Initiator makes Kerberos client contexts (bare AP-REQ, auth type 16).
type Initiator struct{ Config ClientConfig }

// AuthType returns rpc.AuthTypeKerberos.
func (Initiator) AuthType() rpc.AuthType { return rpc.AuthTypeKerberos }

// NewClientContext returns a fresh Client.
func (i Initiator) NewClientContext() (rpc.SecurityContext, error) { return NewClient(i.Config), nil }
