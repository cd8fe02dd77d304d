package spnego

import (
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// Acceptor makes SPNEGO server contexts (auth type 9,
// RPC_C_AUTHN_GSS_NEGOTIATE) that negotiate NTLM with Config, and
// Kerberos with Kerberos when it is set.
type Acceptor struct {
	Config   ntlm.ServerConfig
	Kerberos *kerberos.Acceptor
}

// AuthType is rpc.AuthTypeSPNEGO.
func (Acceptor) AuthType() rpc.AuthType { return rpc.AuthTypeSPNEGO }

// NewServerContext returns a fresh SPNEGO acceptor wrapping an NTLM one.
func (a Acceptor) NewServerContext() (rpc.SecurityContext, error) {
	m, err := ntlm.NewServer(a.Config)
	if err != nil {
		return nil, err
	}
	if a.Kerberos == nil {
		return NewServer(m), nil
	}
	return NewServerWithKerberos(m, func() (Mech, error) { return kerberos.NewServer(a.Kerberos.Config) }), nil
}

// Initiator makes SPNEGO client contexts that offer NTLM, or Kerberos
// only when Kerberos is set.
type Initiator struct {
	Config   ntlm.ClientConfig
	Kerberos *kerberos.ClientConfig
}

// AuthType is rpc.AuthTypeSPNEGO.
func (Initiator) AuthType() rpc.AuthType { return rpc.AuthTypeSPNEGO }

// NewClientContext returns a fresh SPNEGO initiator wrapping an NTLM one.
func (i Initiator) NewClientContext() (rpc.SecurityContext, error) {
	if i.Kerberos != nil {
		cfg := *i.Kerberos
		cfg.Framed = true
		return NewKerberosClient(kerberos.NewClient(cfg)), nil
	}
	return NewClient(ntlm.NewClient(i.Config)), nil
}

var (
	_ rpc.Acceptor  = Acceptor{}
	_ rpc.Initiator = Initiator{}
)
