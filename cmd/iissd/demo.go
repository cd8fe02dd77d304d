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
// site on 127.0.0.1:8080) depending on WAS, both automatic, and FTPSVC on
// demand; one administrator, "admin", whose password comes from
// IISSD_DEMO_PASSWORD or is generated and printed.
func serveDemo(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
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
	return serve(ctx, cfg, "(demo)", stderr, func(act, _ net.Addr) {
		printDemoHelp(stdout, hostPort(act), password, generated)
	})
}

func demoConfig(exe string, f serveFlags) *Config {
	state := f.state
	if state == "" {
		state = filepath.Join(os.TempDir(), fmt.Sprintf("iissd-demo-%d", os.Getuid()))
	}
	cfg := &Config{
		Listen:   ListenConfig{Activation: f.listen, Object: f.objectListen},
		Security: SecurityConfig{UsersFile: filepath.Join(state, "users"), MinAuthLevel: "privacy"},
		State:    StateConfig{Dir: state},
		Log:      LogConfig{Level: "info", Format: "text", Audit: "-"},
		Services: []ServiceConfig{
			{Name: "WAS", DisplayName: "Windows Process Activation Service", Command: []string{exe, "demo-service"}, Start: "auto"},
			{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", Command: []string{exe, "demo-site", "--listen", demoSite},
				Start: "auto", DependsOn: []string{"WAS"}, StartCheck: demoSite},
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

func printDemoHelp(w io.Writer, target, password string, generated bool) {
	fmt.Fprintf(w, "\niissd demo is serving the IIS ServiceControl Protocol on %s\n", target)
	fmt.Fprintf(w, "  services: WAS and W3SVC (a web site on http://%s/) start automatically; FTPSVC on demand\n", demoSite)
	if generated {
		fmt.Fprintf(w, "  administrator: %s, password %s (set IISSD_DEMO_PASSWORD to choose it)\n", demoUser, password)
	} else {
		fmt.Fprintf(w, "  administrator: %s, password from IISSD_DEMO_PASSWORD\n", demoUser)
	}
	fmt.Fprintf(w, "\nTry, in another terminal:\n")
	fmt.Fprintf(w, "  export IISCTL_PASSWORD='%s'\n", password)
	fmt.Fprintf(w, "  go run ./cmd/iisctl status %s -u %s\n", target, demoUser)
	fmt.Fprintf(w, "  go run ./cmd/iisctl restart %s -u %s\n", target, demoUser)
	fmt.Fprintf(w, "  go run ./cmd/iisctl reset %s -u %s /STATUS\n\n", target, demoUser)
}

// runDemoService is the demo's idle service: it runs until told to stop.
func runDemoService() int {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
	return 0
}
