//go:build !linux

package ctl

import (
	"errors"
	"net"
)

// peerCred: SO_PEERCRED is Linux's; elsewhere every peer is refused.
func peerCred(*net.UnixConn) (peer, error) {
	return peer{}, errors.New("SO_PEERCRED is not available on this system")
}
