package dcom

import (
	"net"
	"strconv"
	"strings"

	"github.com/iisctl/iisctl/rpc"
)

// securityBindings are what we advertise: NTLM then SPNEGO, then
// Kerberos (auth service 16) when a Kerberos acceptor is configured; no
// principal name ([MS-DCOM] 2.2.19.4; clients take the first they support, 3.2.4.2).
func (s *Server) securityBindings() []SecurityBinding {
	b := []SecurityBinding{{AuthnSvc: AuthnWinNT}, {AuthnSvc: AuthnGSSNego}}
	for _, a := range s.cfg.Acceptors {
		if a.AuthType() == rpc.AuthTypeKerberos {
			b = append(b, SecurityBinding{AuthnSvc: AuthnGSSKerb})
		}
	}
	return b
}

// hosts lists the network addresses to advertise: the one the client
// connected to first (impacket picks the binding containing the target it
// was given, [MS-DCOM] 3.2.4.2), then the configured names, deduplicated.
func (s *Server) hosts(local net.Addr) []string {
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		if h != "" && !seen[strings.ToLower(h)] {
			seen[strings.ToLower(h)] = true
			out = append(out, h)
		}
	}
	if a, ok := local.(*net.TCPAddr); ok && a != nil {
		ip := a.IP
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		add(ip.String())
	}
	for _, n := range s.cfg.Names {
		add(n)
	}
	return out
}

// resolverBindings are the OXID resolver's bindings: addresses without
// ports ([MS-DCOM] 2.2.19.3), as in ServerAlive2 and OBJREF_STANDARD.
func (s *Server) resolverBindings(local net.Addr) *DualStringArray {
	d := &DualStringArray{SecurityBindings: s.securityBindings()}
	for _, h := range s.hosts(local) {
		d.StringBindings = append(d.StringBindings, StringBinding{TowerID: TowerNCACNIPTCP, NetworkAddr: h})
	}
	return d
}

// exporterBindings are the object exporter's bindings, "host[port]".
func (s *Server) exporterBindings(local net.Addr) *DualStringArray {
	d := &DualStringArray{SecurityBindings: s.securityBindings()}
	port := strconv.Itoa(s.exporterPort())
	for _, h := range s.hosts(local) {
		d.StringBindings = append(d.StringBindings, StringBinding{TowerID: TowerNCACNIPTCP, NetworkAddr: h + "[" + port + "]"})
	}
	return d
}

// authnHint is the minimum level clients must use on the exporter.
func (s *Server) authnHint() uint32 { return uint32(s.cfg.ObjectMinLevel) }

// serverVersion is the COM version we report ([MS-DCOM] 1.7).
var serverVersion = COMVersion{Major: COMVersionMajor, Minor: COMVersionMinor}

// callerOf describes the peer of an RPC call.
func callerOf(c *rpc.Call) Caller {
	cl := Caller{Peer: c.Peer, AuthLevel: c.AuthLevel, AuthType: c.AuthType}
	if a, ok := c.RemoteAddr.(*net.TCPAddr); ok && a != nil {
		cl.RemoteAddr = a.AddrPort()
	}
	return cl
}
