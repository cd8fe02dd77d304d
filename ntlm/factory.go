package ntlm

import "github.com/iisctl/iisctl/rpc"

// Compile-time checks that the contexts fit the RPC layer.
var (
	_ rpc.SecurityContext = (*Client)(nil)
	_ rpc.SecurityContext = (*Server)(nil)
	_ rpc.Acceptor        = Acceptor{}
	_ rpc.Initiator       = Initiator{}
)

// Acceptor makes NTLM server contexts (auth type 10, RPC_C_AUTHN_WINNT)
// from one configuration.
type Acceptor struct{ Config ServerConfig }

// AuthType returns rpc.AuthTypeNTLM.
func (Acceptor) AuthType() rpc.AuthType { return rpc.AuthTypeNTLM }

// NewServerContext returns a fresh Server.
func (a Acceptor) NewServerContext() (rpc.SecurityContext, error) {
	s, err := NewServer(a.Config)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Initiator makes NTLM client contexts from one configuration.
type Initiator struct{ Config ClientConfig }

// AuthType returns rpc.AuthTypeNTLM.
func (Initiator) AuthType() rpc.AuthType { return rpc.AuthTypeNTLM }

// NewClientContext returns a fresh Client.
func (i Initiator) NewClientContext() (rpc.SecurityContext, error) { return NewClient(i.Config), nil }
