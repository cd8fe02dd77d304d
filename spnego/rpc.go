package spnego

import (
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// Acceptor makes SPNEGO server contexts (auth type 9,
// RPC_C_AUTHN_GSS_NEGOTIATE) that negotiate NTLM with Config.
type Acceptor struct{ Config ntlm.ServerConfig }

// AuthType is rpc.AuthTypeSPNEGO.
func (Acceptor) AuthType() rpc.AuthType { return rpc.AuthTypeSPNEGO }

// NewServerContext returns a fresh SPNEGO acceptor wrapping an NTLM one.
func (a Acceptor) NewServerContext() (rpc.SecurityContext, error) {
	m, err := ntlm.NewServer(a.Config)
	if err != nil {
		return nil, err
	}
	return NewServer(m), nil
}

// Initiator makes SPNEGO client contexts that offer NTLM only.
type Initiator struct{ Config ntlm.ClientConfig }

// AuthType is rpc.AuthTypeSPNEGO.
func (Initiator) AuthType() rpc.AuthType { return rpc.AuthTypeSPNEGO }

// NewClientContext returns a fresh SPNEGO initiator wrapping an NTLM one.
func (i Initiator) NewClientContext() (rpc.SecurityContext, error) {
	return NewClient(ntlm.NewClient(i.Config)), nil
}

var (
	_ rpc.Acceptor  = Acceptor{}
	_ rpc.Initiator = Initiator{}
)
