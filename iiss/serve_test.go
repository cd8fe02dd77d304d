package iiss_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ntlm"
)

// Accounts of the in-process servers.
const (
	adminUser = "admin"
	adminPass = "Adm1n-Passw0rd"
	plainUser = "viewer" // logs on, but is not an administrator
	plainPass = "V1ewer-Passw0rd"
)

// testUsers is the account source of the in-process servers.
var testUsers = ntlm.CredentialFunc(func(user, _ string) (ntlm.Account, bool) {
	switch strings.ToLower(user) {
	case adminUser:
		return ntlm.Account{NTHash: ntlm.NTHash(adminPass), Admin: true}, true
	case plainUser:
		return ntlm.Account{NTHash: ntlm.NTHash(plainPass)}, true
	}
	return ntlm.Account{}, false
})

// serveLoopback runs iiss.NewServer(backend, cfg) on loopback until the
// test ends and returns the activation address ("127.0.0.1:port").
func serveLoopback(t testing.TB, backend iiss.Service, cfg iiss.ServerConfig) string {
	t.Helper()
	if cfg.Users == nil {
		cfg.Users = testUsers
	}
	srv, err := iiss.NewServer(backend, cfg)
	if err != nil {
		t.Fatal(err)
	}
	act, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(act, obj) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, iiss.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return act.Addr().String()
}

// dialAdmin dials addr as the administrator.
func dialAdmin(t testing.TB, ctx context.Context, addr string) *iiss.Client {
	t.Helper()
	c, err := iiss.Dial(ctx, addr, iiss.ClientConfig{Credentials: iiss.Credentials{User: adminUser, Password: adminPass}})
	if err != nil {
		t.Fatalf("Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
