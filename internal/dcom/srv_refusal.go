package dcom

import (
	"time"

	"github.com/iisctl/iisctl/rpc"
)

// refused reports a denied activation or call to the audit hook the RPC
// configuration carries (rpc.ServerConfig.OnSecurityEvent): who, from
// where, mechanism, reason. The log line stays with the caller.
func (s *Server) refused(c *rpc.Call, reason string) {
	f := s.cfg.RPC.OnSecurityEvent
	if f == nil || c == nil {
		return
	}
	ev := rpc.SecurityEvent{Time: time.Now(), Kind: "call", Level: c.AuthLevel, User: c.Peer.String(), Reason: reason}
	if c.RemoteAddr != nil {
		ev.Remote = c.RemoteAddr.String()
	}
	if c.LocalAddr != nil {
		ev.Local = c.LocalAddr.String()
	}
	if c.Peer.Authenticated() {
		ev.Mechanism = rpc.MechanismName(c.AuthType)
	}
	f(ev)
}
