package main

import (
	"context"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/iisctl/iisctl/iiss"
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

// Credentials authenticate the caller: the library's. NTHash, when set,
// replaces Password (pass-the-hash, as impacket's -hashes).
type Credentials = iiss.Credentials

// AuthLevel is the RPC authentication level of the object's calls
// ([MS-RPCE] 2.2.1.1.8).
type AuthLevel = iiss.AuthLevel

// Levels iisctl offers. [MS-IISS] 2.1 requires privacy; Windows rejects less.
const (
	AuthLevelPrivacy   = iiss.AuthLevelPrivacy   // RPC_C_AUTHN_LEVEL_PKT_PRIVACY (6), the default
	AuthLevelIntegrity = iiss.AuthLevelIntegrity // RPC_C_AUTHN_LEVEL_PKT_INTEGRITY (5)
	AuthLevelConnect   = iiss.AuthLevelConnect   // RPC_C_AUTHN_LEVEL_CONNECT (2)
)

// AuthType is the security provider.
type AuthType = iiss.Auth

// Providers iisctl offers.
const (
	// AuthNegotiate, the default, is Kerberos in SPNEGO (9) when a ticket
	// cache or keytab is at hand (-k, --keytab, $KRB5CCNAME), else NTLM (10).
	AuthNegotiate = iiss.AuthNegotiate
	AuthNTLM      = iiss.AuthNTLM     // RPC_C_AUTHN_WINNT (10)
	AuthSPNEGO    = iiss.AuthSPNEGO   // RPC_C_AUTHN_GSS_NEGOTIATE (9): NTLM, or Kerberos with -k/--keytab
	AuthKerberos  = iiss.AuthKerberos // RPC_C_AUTHN_GSS_KERBEROS (16)
)

// ConnOptions tune a connection.
type ConnOptions struct {
	AuthLevel AuthLevel
	AuthType  AuthType
	// DialTimeout bounds the connection to port 135, activation and the
	// connection to the object exporter.
	DialTimeout time.Duration
	// ClassObject activates through the class object (--activation
	// classobject): RemoteGetClassObject, then IClassFactory::CreateInstance.
	ClassObject bool
	// SPN and KDC tune Kerberos (--spn, --kdc).
	SPN, KDC string
}

// DefaultDialTimeout is --dial-timeout's default: the library's.
const DefaultDialTimeout = iiss.DefaultDialTimeout

// defaultDialer is the Dialer of the real command: iiss.Dial, which
// activates IIisServiceControl at target.Host:target.Port and connects
// to the object exporter binding it returns.
var defaultDialer Dialer = func(ctx context.Context, target Target, cred Credentials, opts ConnOptions) (Conn, error) {
	return iiss.Dial(ctx, net.JoinHostPort(target.Host, strconv.Itoa(target.Port)), iiss.ClientConfig{
		Credentials: cred, Auth: opts.AuthType, AuthLevel: opts.AuthLevel, DialTimeout: opts.DialTimeout,
		ClassObjectActivation: opts.ClassObject,
		SPN:                   opts.SPN, KDC: opts.KDC,
	})
}
