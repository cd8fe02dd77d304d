package dcom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/iisctl/iisctl/rpc"
)

// splitBinding parses an exporter network address "host[port]"
// ([MS-DCOM] 2.2.19.3).
func splitBinding(addr string) (host string, port int, ok bool) {
	i := strings.LastIndexByte(addr, '[')
	if i <= 0 || !strings.HasSuffix(addr, "]") {
		return "", 0, false
	}
	p, err := strconv.Atoi(addr[i+1 : len(addr)-1])
	if err != nil || p <= 0 || p > 65535 {
		return "", 0, false
	}
	return addr[:i], p, true
}

// exporterCandidates orders the TCP addresses to try for an exporter:
// the bindings naming the host the user gave, then the others in order,
// then the user's host with the advertised port (for NAT and NetBIOS
// names that do not resolve here).
func exporterCandidates(host string, d *DualStringArray) []string {
	var match, other []string
	port := 0
	for _, b := range d.StringBindings {
		h, p, ok := splitBinding(b.NetworkAddr)
		if b.TowerID != TowerNCACNIPTCP || !ok {
			continue
		}
		if port == 0 {
			port = p
		}
		a := net.JoinHostPort(h, strconv.Itoa(p))
		if strings.EqualFold(h, host) {
			match = append(match, a)
		} else {
			other = append(other, a)
		}
	}
	all := append(match, other...)
	if port != 0 {
		all = append(all, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	return dedupe(all)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if !seen[strings.ToLower(x)] {
			seen[strings.ToLower(x)] = true
			out = append(out, x)
		}
	}
	return out
}

// dialExporter connects to the first reachable exporter binding, each
// attempt bounded by cfg.DialTimeout.
func dialExporter(ctx context.Context, cfg ClientConfig, d *DualStringArray) (*rpc.Conn, error) {
	cands := exporterCandidates(cfg.Host, d)
	if len(cands) == 0 {
		return nil, errors.New("dcom: the server advertised no ncacn_ip_tcp exporter binding")
	}
	var errs []error
	for _, a := range cands {
		actx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
		conn, err := cfg.dial(actx, a)
		cancel()
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dcom: no reachable object exporter binding among %v: %w", cands, errors.Join(errs...))
}
