package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/sambadc"
	"github.com/iisctl/iisctl/ntlm"
)

// TestMain lets the test binary stand in for iissd's own demo services:
// the demo configuration runs os.Executable() with "demo-site" or
// "demo-service", which here is the test binary.
func TestMain(m *testing.M) {
	if os.Getenv(envRunAsIissd) == "1" { // the test binary as the iissd command (control_test.go)
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "demo-site":
			os.Exit(runDemoSite(os.Args[2:], os.Stderr))
		case "demo-service":
			os.Exit(runDemoService())
		case "iissd-main": // the test binary as iissd itself
			os.Exit(run(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
		}
	}
	code := m.Run()
	sambadc.StopShared()  // the domain controller of the domain tests, if they started one
	if iisctlPath != "" { // the iisctl binary the end-to-end tests built
		os.RemoveAll(filepath.Dir(iisctlPath))
	}
	os.Exit(code)
}

// Test accounts of every harness server.
const (
	testAdmin     = "admin"
	testAdminPass = "Adm1n-Passw0rd"
	testUser      = "viewer" // authenticates, but is not an administrator
	testUserPass  = "V1ewer-Passw0rd"
)

// demoServer is an iissd running in-process with the demo's services.
type demoServer struct {
	Act, Obj net.Addr // where the activator and the exporter listen
	Site     string   // the demo web site's address
	State    string   // state directory (the disable switch lives here)
	Config   *Config
	logs     *syncBuffer
	cancel   context.CancelFunc
	done     chan error
}

// Target is the activator as iisctl takes it: host, or host:port.
func (d *demoServer) Target() string { return hostPort(d.Act) }

// Logs is everything iissd logged so far: the operational log, then the
// audit trail, which the demo keeps apart in its state directory.
func (d *demoServer) Logs() string {
	logs := d.logs.String()
	if a := d.Config.Log.Audit; a != "-" && a != "" && a != "/dev/full" {
		b, _ := os.ReadFile(a)
		logs += string(b)
	}
	return logs
}

// OpLog is the operational log alone.
func (d *demoServer) OpLog() string { return d.logs.String() }

// demoOptions adjusts the harness configuration.
type demoOptions struct {
	// Activation is the activator's address; default 127.0.0.1:0. Use a
	// distinct loopback address (127.0.0.2:135, ...) where a peer insists
	// on port 135: every 127.0.0.0/8 address is local on Linux.
	Activation string
	// Site is the demo web site's address; default a free loopback port.
	Site string
	// Edit changes the configuration before the server starts.
	Edit func(*Config)
}

// startDemo runs iissd's demo configuration in-process, with two users:
// testAdmin (administrator) and testUser (not), and waits until the
// automatic services are running. It stops everything at cleanup.
func startDemo(t testing.TB, o demoOptions) *demoServer {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if o.Activation == "" {
		o.Activation = "127.0.0.1:0"
	}
	if o.Site == "" {
		o.Site = freeAddr(t)
	}
	state := t.TempDir()
	cfg := demoConfig(exe, serveFlags{listen: o.Activation, objectListen: "127.0.0.1:0", state: state})
	for i := range cfg.Services {
		for j, a := range cfg.Services[i].Command {
			if a == demoSite {
				cfg.Services[i].Command[j] = o.Site
			}
		}
		if cfg.Services[i].StartCheck == demoSite {
			cfg.Services[i].StartCheck = o.Site
		}
	}
	cfg.Log.Level = "debug"
	writeTestUsers(t, cfg.Security.UsersFile)
	if o.Edit != nil {
		o.Edit(cfg)
	}
	d := &demoServer{Site: o.Site, State: state, Config: cfg, logs: &syncBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	ready := make(chan struct{})
	go func() {
		d.done <- serve(ctx, cfg, "(test)", d.logs, func(act, obj net.Addr) {
			d.Act, d.Obj = act, obj
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-d.done:
		t.Fatalf("iissd did not start: %v\n%s", err, d.Logs())
	case <-time.After(20 * time.Second):
		t.Fatalf("iissd did not start within 20s\n%s", d.Logs())
	}
	t.Cleanup(d.stop)
	d.waitSite(t, true)
	return d
}

func (d *demoServer) stop() {
	d.cancel()
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
	}
}

// waitSite waits (bounded) until the demo site accepts connections (up)
// or refuses them (!up).
func (d *demoServer) waitSite(t testing.TB, up bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", d.Site, time.Second)
		if c != nil {
			c.Close()
		}
		if (err == nil) == up {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("demo site %s: still %s after 15s\n%s", d.Site, map[bool]string{true: "down", false: "up"}[up], d.Logs())
}

func writeTestUsers(t testing.TB, path string) {
	t.Helper()
	u, err := ntlm.ParseUsers(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.AddUser(testAdmin, "", ntlm.NTHash(testAdminPass), true); err != nil {
		t.Fatal(err)
	}
	if err := u.AddUser(testUser, "", ntlm.NTHash(testUserPass), false); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := ntlm.SaveUsersFile(path, u); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is an io.Writer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)

// TestDemoHarness checks the harness itself: the demo serves, its site is
// up, and it stops cleanly.
func TestDemoHarness(t *testing.T) {
	d := startDemo(t, demoOptions{})
	if !strings.Contains(d.Logs(), "iissd serving") {
		t.Fatalf("no serving line in the logs:\n%s", d.Logs())
	}
	if got := fmt.Sprint(d.Act); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Fatalf("activator on %s", got)
	}
}
