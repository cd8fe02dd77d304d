package iiss

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/iisctl/iisctl/rpc"
)

// Limits bounds what clients that have not authenticated may cost the
// server, and how fast passwords can be guessed (see the rpc package's
// admission and LogonThrottle). Zero fields take rpc's defaults.
type Limits struct {
	// MaxConns caps connections per endpoint; AdminReserve of them are
	// only for connections authenticated as administrators.
	MaxConns, AdminReserve int
	// MaxConnsPerAddr caps unauthenticated connections per remote IP.
	MaxConnsPerAddr int
	// HandshakeTimeout: how long a connection may stay unauthenticated.
	HandshakeTimeout time.Duration
	// IdleTimeout closes connections with no call (co_cancel does not count).
	IdleTimeout time.Duration
	// LogonDelay follows a first failed logon from an address and doubles
	// per further failure, up to LogonMaxDelay.
	LogonDelay, LogonMaxDelay time.Duration
	// LockoutWindow: failures older than this are forgotten.
	LockoutWindow time.Duration
	// LockoutThreshold: failures for one account after which addresses
	// that failed are refused for it until the window passes; negative never.
	LockoutThreshold int
}

// rpcConfig is the RPC servers' configuration for l: one logon throttle
// for both endpoints, refused logons and throttling summaries into audit.
func (l Limits) rpcConfig(audit Auditor) rpc.ServerConfig {
	th := rpc.NewLogonThrottle(&rpc.ThrottleConfig{
		BaseDelay: l.LogonDelay, MaxDelay: l.LogonMaxDelay, Window: l.LockoutWindow, Lockout: l.LockoutThreshold,
		OnSummary: func(s rpc.ThrottleSummary) {
			if audit != nil {
				audit.Audit(context.Background(), AuditRecord{Time: s.Until, Method: "LogonSummary",
					Result: E_ACCESSDENIED, Reason: s.String(), Duration: s.Until.Sub(s.Since)})
			}
		},
	})
	return rpc.ServerConfig{
		MaxConns: l.MaxConns, AdminReserve: l.AdminReserve, MaxConnsPerAddr: l.MaxConnsPerAddr,
		HandshakeTimeout: l.HandshakeTimeout, IdleTimeout: l.IdleTimeout,
		Throttle: th, OnSecurityEvent: securityAudit(audit),
	}
}

// securityAudit writes a refused logon or call as an audit record: who
// (as claimed), from where, mechanism, reason.
func securityAudit(audit Auditor) func(rpc.SecurityEvent) {
	if audit == nil {
		return nil
	}
	return func(e rpc.SecurityEvent) {
		addr, _ := netip.ParseAddrPort(e.Remote)
		method := "Logon"
		if e.Kind == "call" {
			method = "Call"
		}
		err := e.Err
		if err == nil {
			err = errors.New(e.Reason)
		}
		audit.Audit(context.Background(), AuditRecord{Time: e.Time, Caller: Caller{User: e.User, Addr: addr},
			Method: method, Result: E_ACCESSDENIED, Err: err, Mechanism: e.Mechanism, Reason: e.Reason})
	}
}
