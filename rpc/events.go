package rpc

import (
	"errors"
	"fmt"
	"time"
)

// SecurityEvent is a refused logon or call, for the audit trail: who
// (the account as claimed, when known), from where, mechanism, reason.
type SecurityEvent struct {
	Time      time.Time
	Remote    string // ip:port of the peer
	Local     string // our ip:port
	Kind      string // "logon", "call"
	Mechanism string // "NTLM", "SPNEGO", or "" for none
	Level     AuthLevel
	User      string // DOMAIN\user as claimed; "" if unknown
	Reason    string // short classification, e.g. "bad credentials", "throttled", "tampered"
	Err       error
}

// MechanismName names an auth type as the audit trail shows it (NTLM,
// SPNEGO, Kerberos, none).
func MechanismName(t AuthType) string { return t.mechanism() }

// mechanism names an auth type as the audit trail shows it.
func (t AuthType) mechanism() string {
	switch t {
	case AuthTypeNone:
		return "none"
	case AuthTypeNTLM:
		return "NTLM"
	case AuthTypeSPNEGO:
		return "SPNEGO"
	case 0x10:
		return "Kerberos"
	}
	return fmt.Sprintf("authn-%d", uint8(t))
}

// securityEvent fills in the connection's part of ev and delivers it.
func (c *serverConn) securityEvent(ev SecurityEvent) {
	f := c.srv.cfg.OnSecurityEvent
	if f == nil {
		return
	}
	ev.Time = time.Now()
	ev.Remote, ev.Local = c.nc.RemoteAddr().String(), c.nc.LocalAddr().String()
	f(ev)
}

// refusedCall reports a call refused by the RPC layer (a verifier that
// does not verify, an unusable context, a level too low).
func (c *serverConn) refusedCall(ac *authContext, reason string, err error) {
	ev := SecurityEvent{Kind: "call", Reason: reason, Err: err}
	if ac != nil {
		ev.Mechanism, ev.Level = ac.typ.mechanism(), ac.level
		if ac.done && !ac.failed {
			ev.User = ac.sc.Peer().String()
		}
	}
	c.securityEvent(ev)
}

// logonReason classifies a handshake failure for the audit trail.
func logonReason(err error, g *gate) string {
	switch {
	case errors.Is(err, ErrLogonThrottled):
		return "throttled"
	case g != nil && g.checked && !g.ok:
		return "bad credentials"
	case g != nil && g.checked:
		return "refused after valid credentials (e.g. MIC, clock skew)"
	}
	return "handshake refused"
}
