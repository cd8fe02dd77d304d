package main

// Issue 14 point 6 end to end: the real iisctl binary against each way
// a connection can fail, each with its own message, hint and exit code
// (iiss.Kind -> `iisctl help exit-codes`).

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// listenThen accepts on loopback and runs f on each connection.
func listenThen(t *testing.T, f func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f(c)
		}
	}()
	return l.Addr().String()
}

func TestE2EFailureCauses(t *testing.T) {
	t.Parallel()
	httpSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(httpSrv.Close)
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	silent := listenThen(t, func(c net.Conn) { <-hold; c.Close() })
	closing := listenThen(t, func(c net.Conn) { c.Close() })
	d := startReady(t, demoOptions{})
	objPort := hostPort(d.Obj)

	cases := []struct {
		name, target string
		extra        []string
		code         int
		msg, hint    string
	}{
		{"dns", "iisctl-e2e.invalid", nil, 8,
			"The RPC server is unavailable: the host name does not resolve (0x800706BA)", "does not resolve"},
		{"timeout", silent, []string{"--dial-timeout", "300ms"}, 9,
			"The RPC server is unavailable: no answer within the dial timeout (0x800706BA)", "--dial-timeout"},
		{"closed", closing, nil, 10,
			"The remote procedure call failed: the server closed the connection (0x800706BE)", "closed the connection before answering"},
		{"http", strings.TrimPrefix(httpSrv.URL, "http://"), nil, 11,
			"The RPC server is unavailable: the port does not speak DCE/RPC (0x800706BA)", "not in DCE/RPC"},
		{"object-port", objPort, nil, 12,
			"The RPC server is unavailable: the port is not DCOM activation (0x800706BA)", "object's port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := admin(t, append([]string{"status", c.target}, c.extra...)...)
			wantCode(t, r, c.code)
			wantContains(t, "stdout", r.stdout, c.msg)
			wantContains(t, "stderr", r.stderr, "hint: ", c.hint)
			if r.dur > 20*time.Second {
				t.Errorf("took %v", r.dur)
			}
		})
	}
}
