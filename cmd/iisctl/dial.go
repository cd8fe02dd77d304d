package main

import (
	"context"
	"io"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/rpc"
)

// Conn is a connected IIisServiceControl: the [iiss.Service] of one
// host, and Close to release the DCOM object and its connections.
type Conn interface {
	iiss.Service
	io.Closer
}

// Dialer connects to target's IIisServiceControl, authenticating with
// cred. It must honour ctx (bounded by opts.DialTimeout) and must not
// retain cred after it returns.
type Dialer func(ctx context.Context, target Target, cred Credentials, opts ConnOptions) (Conn, error)

// Credentials authenticate the caller. NTHash, when set, replaces
// Password (pass-the-hash, as impacket's -hashes).
type Credentials struct {
	Domain, User, Password string
	NTHash                 []byte
}

// AuthLevel is the RPC authentication level of the object's calls
// ([MS-RPCE] 2.2.1.1.8).
type AuthLevel int

// Levels iisctl offers. [MS-IISS] 2.1 requires privacy; Windows rejects less.
const (
	AuthLevelPrivacy   AuthLevel = iota // RPC_C_AUTHN_LEVEL_PKT_PRIVACY (6), the default
	AuthLevelIntegrity                  // RPC_C_AUTHN_LEVEL_PKT_INTEGRITY (5)
	AuthLevelConnect                    // RPC_C_AUTHN_LEVEL_CONNECT (2)
)

// AuthType is the security provider.
type AuthType int

// Providers iisctl offers.
const (
	AuthNTLM   AuthType = iota // RPC_C_AUTHN_WINNT (10), the default
	AuthSPNEGO                 // RPC_C_AUTHN_GSS_NEGOTIATE (9), carrying NTLM
)

// ConnOptions tune a connection.
type ConnOptions struct {
	AuthLevel AuthLevel
	AuthType  AuthType
	// DialTimeout bounds the connection to port 135, activation and the
	// connection to the object exporter.
	DialTimeout time.Duration
}

// DefaultDialTimeout is --dial-timeout's default.
const DefaultDialTimeout = 15 * time.Second

// defaultDialer is the Dialer of the real command.
//
// defaultDialer activates IIisServiceControl on the target through the
// DCOM client (iiss.Dial): the activator at target.Host:target.Port, then
// the object exporter binding it returns, authenticated per cred and opts.
var defaultDialer Dialer = func(ctx context.Context, target Target, cred Credentials, opts ConnOptions) (Conn, error) {
	cfg := iiss.DialConfig{
		Host: target.Host, Port: target.Port,
		User: cred.User, Domain: cred.Domain, Password: cred.Password,
		Level: rpcLevel(opts.AuthLevel), SPNEGO: opts.AuthType == AuthSPNEGO,
		DialTimeout: opts.DialTimeout,
	}
	if len(cred.NTHash) == 16 {
		copy(cfg.NTHash[:], cred.NTHash)
	}
	return iiss.Dial(ctx, cfg)
}

func rpcLevel(l AuthLevel) rpc.AuthLevel {
	switch l {
	case AuthLevelConnect:
		return rpc.AuthLevelConnect
	case AuthLevelIntegrity:
		return rpc.AuthLevelIntegrity
	}
	return rpc.AuthLevelPrivacy
}
