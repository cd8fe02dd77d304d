package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"
	"github.com/iisctl/iisctl/ntlm"
)

// Demo defaults: loopback only, the standard activation port when it can
// be had, and a web site that visibly goes down and up with the services.
const (
	demoListen         = "127.0.0.1:135"
	demoListenFallback = "127.0.0.1:1135"
	demoSite           = "127.0.0.1:8080"
	demoUser           = "admin"
)

// serveDemo runs iissd with a built-in configuration: W3SVC (a small web
// site on 127.0.0.1:8080, or a free port when that one is taken)
// depending on WAS, both automatic, and FTPSVC on demand; one
// administrator, "admin", whose password comes from IISSD_DEMO_PASSWORD
// or is generated and printed. Each demo has its own state directory
// (--state, else a new temporary one, removed at exit), holding the users
// file, the audit trail, the services' logs and an iissd.toml that the
// local commands can be pointed at (IISSD_CONFIG). It listens on
// loopback only.
func serveDemo(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	for _, a := range []string{f.listen, f.objectListen} {
		if err := requireLoopback(a); err != nil {
			return err
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	temporary := f.state == ""
	if temporary {
		dir, err := os.MkdirTemp("", "iissd-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		f.state = dir
	}
	if f.site == "" {
		f.site = demoSite
		if !canBind(demoSite) {
			if f.site, err = freeLoopbackAddr(); err != nil {
				return err
			}
		}
	}
	cfg := demoConfig(exe, f)
	if err := os.MkdirAll(cfg.State.Dir, 0o700); err != nil {
		return err
	}
	password, generated := demoPassword()
	if err := writeDemoUsers(cfg.Security.UsersFile, password); err != nil {
		return err
	}
	if f.listen == "" && !canListen(demoListen) {
		fmt.Fprintf(stderr, "iissd: %s needs root or CAP_NET_BIND_SERVICE; the demo listens on %s instead\n", demoListen, demoListenFallback)
		cfg.Listen.Activation = demoListenFallback
	}
	cfgPath := filepath.Join(cfg.State.Dir, "iissd.toml")
	if err := writeConfig(cfgPath, cfg); err != nil {
		return err
	}
	return serve(ctx, cfg, cfgPath, stderr, func(act, _ net.Addr) {
		printDemoHelp(stdout, demoInfo{target: hostPort(act), site: f.site, password: password, generated: generated,
			state: cfg.State.Dir, config: cfgPath, audit: cfg.Log.Audit, logs: cfg.Backend.LogDir, temporary: temporary})
	})
}

// requireLoopback refuses a demo address off loopback: the demo's
// administrator password may be printed, or known from the environment.
func requireLoopback(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--demo: %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--demo listens on loopback only (its administrator's password is printed): %s is not a loopback address; "+
		"use 127.0.0.1 or [::1], or serve a configuration file with --config", addr)
}

// canBind says whether addr is free.
func canBind(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// freeLoopbackAddr is a free TCP port on 127.0.0.1.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// writeConfig saves cfg as TOML (mode 0600), so that the local commands
// can find the demo's state directory and users file through IISSD_CONFIG.
func writeConfig(path string, cfg *Config) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := toml.NewEncoder(f).Encode(cfg); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

func demoConfig(exe string, f serveFlags) *Config {
	site := f.site
	if site == "" {
		site = demoSite
	}
	state := f.state
	cfg := &Config{
		Listen:   ListenConfig{Activation: f.listen, Object: f.objectListen},
		Security: SecurityConfig{UsersFile: filepath.Join(state, "users"), MinAuthLevel: "privacy"},
		State:    StateConfig{Dir: state},
		Log:      LogConfig{Level: "info", Format: "text", Audit: filepath.Join(state, "audit.log")},
		Services: []ServiceConfig{
			{Name: "WAS", DisplayName: "Windows Process Activation Service", Command: []string{exe, "demo-service"}, Start: "auto"},
			{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", Command: []string{exe, "demo-site", "--listen", site},
				Start: "auto", DependsOn: []string{"WAS"}, StartCheck: site},
			{Name: "FTPSVC", DisplayName: "Microsoft FTP Service", Command: []string{exe, "demo-service"}, Start: "demand"},
		},
	}
	if cfg.Listen.Activation == "" {
		cfg.Listen.Activation = demoListen
	}
	if cfg.Listen.Object == "" {
		cfg.Listen.Object = "127.0.0.1:0"
	}
	cfg.defaults()
	return cfg
}

func canListen(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return !errors.Is(err, syscall.EACCES)
	}
	l.Close()
	return true
}

func demoPassword() (pw string, generated bool) {
	if pw := os.Getenv("IISSD_DEMO_PASSWORD"); pw != "" {
		return pw, false
	}
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), true
}

func writeDemoUsers(path, password string) error {
	u, err := ntlm.ParseUsers(strings.NewReader(""))
	if err != nil {
		return err
	}
	if err := u.AddUser(demoUser, "", ntlm.NTHash(password), true); err != nil {
		return err
	}
	return ntlm.SaveUsersFile(path, u)
}

// demoInfo is what the demo's banner tells.
type demoInfo struct {
	target, site, password     string
	generated, temporary       bool
	state, config, audit, logs string
}

func printDemoHelp(w io.Writer, d demoInfo) {
	fmt.Fprintf(w, "\niissd demo is serving the IIS ServiceControl Protocol on %s\n", d.target)
	fmt.Fprintf(w, "  services: WAS and W3SVC (a web site on http://%s/) start automatically; FTPSVC on demand\n", d.site)
	if d.generated {
		fmt.Fprintf(w, "  administrator: %s, password %s (generated; set IISSD_DEMO_PASSWORD to choose it)\n", demoUser, d.password)
	} else {
		fmt.Fprintf(w, "  administrator: %s, password from IISSD_DEMO_PASSWORD\n", demoUser)
	}
	tmp := ""
	if d.temporary {
		tmp = " (removed when the demo exits; --state DIR keeps one)"
	}
	fmt.Fprintf(w, "  state directory: %s%s\n    audit trail %s, service logs %s/\n", d.state, tmp, d.audit, d.logs)
	fmt.Fprintf(w, "\nTry, in another terminal:\n")
	if d.generated {
		fmt.Fprintf(w, "  export IISCTL_PASSWORD='%s'\n", d.password)
	} else {
		fmt.Fprintf(w, "  export IISCTL_PASSWORD=\"$IISSD_DEMO_PASSWORD\"\n")
	}
	fmt.Fprintf(w, "  go run ./cmd/iisctl status %s -u %s\n", d.target, demoUser)
	fmt.Fprintf(w, "  go run ./cmd/iisctl restart %s -u %s\n", d.target, demoUser)
	fmt.Fprintf(w, "  go run ./cmd/iisctl reset %s -u %s /STATUS\n", d.target, demoUser)
	fmt.Fprintf(w, "  export IISSD_CONFIG=%s      # for the local commands:\n", d.config)
	fmt.Fprintf(w, "  go run ./cmd/iissd user add alice; go run ./cmd/iissd disable\n\n")
}

// runDemoService is the demo's idle service: it runs until told to stop.
func runDemoService() int {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
	return 0
}
