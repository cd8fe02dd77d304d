package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DefaultPort is the DCOM activation port (the RPC endpoint mapper).
const DefaultPort = 135

// Target is one host to control: the address of its DCOM activator.
type Target struct {
	Host string
	Port int // DefaultPort unless given
}

// ParseTarget reads HOST, HOST:PORT, [IPv6]:PORT, a bare IPv6 address,
// or iisreset's \\HOST.
func ParseTarget(s string) (Target, error) {
	host, port := strings.TrimPrefix(s, `\\`), ""
	switch {
	case strings.HasPrefix(host, "["):
		end := strings.Index(host, "]")
		if end < 0 {
			return Target{}, fmt.Errorf("host %q: missing ']'", s)
		}
		rest := host[end+1:]
		if rest != "" && !strings.HasPrefix(rest, ":") {
			return Target{}, fmt.Errorf("host %q: unexpected %q after ']'", s, rest)
		}
		host, port = host[1:end], strings.TrimPrefix(rest, ":")
	case strings.Count(host, ":") == 1:
		host, port, _ = strings.Cut(host, ":")
	}
	if host == "" {
		return Target{}, fmt.Errorf("host %q: empty host name", s)
	}
	t := Target{Host: host, Port: DefaultPort}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return Target{}, fmt.Errorf("host %q: port must be 1-65535", s)
		}
		t.Port = p
	}
	return t, nil
}

// Addr is host:port for net.Dial.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// String is the host as the user typed it: the port only when it is not 135.
func (t Target) String() string {
	if t.Port == DefaultPort || t.Port == 0 {
		return t.Host
	}
	return t.Addr()
}
