package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
)

// The example configuration in the repository must load, so the
// documentation cannot drift from the code.
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := LoadConfig("../../example/iissd.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen.Object != "0.0.0.0:49701" || len(cfg.Services) != 3 || cfg.Control.PingPeriod.Duration != 120*time.Second {
		t.Fatalf("unexpected %+v", cfg)
	}
	w3 := cfg.Services[1]
	s, err := supervisedService(w3)
	if err != nil {
		t.Fatal(err)
	}
	if s.StopTimeout != 20*time.Second || s.DependsOn[0] != "WAS" || s.Env[0] != "LANG=C.UTF-8" || s.StopSignal.String() != "quit" {
		t.Fatalf("service mapping %+v", s)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]string{
		"unknown key":      "[listen]\nactivaton = \"x\"\n",
		"bad level":        "[security]\nmin_auth_level = \"none\"\n[[service]]\nname=\"a\"\ncommand=[\"x\"]\n",
		"no services":      "[backend]\ntype = \"supervisor\"\n",
		"systemd no units": "[backend]\ntype = \"systemd\"\n",
		"bad backend":      "[backend]\ntype = \"upstart\"\n",
		"bad duration":     "[control]\nping_period = \"soon\"\n",
		"log level":        "[log]\nlevel = \"verbose\"\n[[service]]\nname=\"a\"\ncommand=[\"x\"]\n",
		"log format":       "[log]\nformat = \"xml\"\n[[service]]\nname=\"a\"\ncommand=[\"x\"]\n",
		"groups no domain": "[security]\nadmin_groups = [\"CORP\\\\Ops\"]\n[[service]]\nname=\"a\"\ncommand=[\"x\"]\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "iissd.toml")
			os.WriteFile(p, []byte(body), 0o600)
			if _, err := LoadConfig(p); err == nil || strings.Contains(err.Error(), "iissd:") {
				t.Fatalf("LoadConfig accepted it: %v", err)
			}
		})
	}
	if _, err := parseSignal("SIGWINCH"); err == nil {
		t.Fatal("unknown signal accepted")
	}
}

// The demo saves its configuration for the local commands; it must load
// back as the same configuration.
func TestWriteConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := demoConfig("/bin/iissd", serveFlags{state: dir, listen: "127.0.0.1:1135", site: "127.0.0.1:8081"})
	cfg.Services[0].StopTimeout.Duration = 7 * time.Second
	path := filepath.Join(dir, "iissd.toml")
	if err := writeConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Dir != dir || got.Security.UsersFile != filepath.Join(dir, "users") || got.Log.Audit != filepath.Join(dir, "audit.log") ||
		got.Services[0].StopTimeout.Duration != 7*time.Second || got.Services[1].StartCheck != "127.0.0.1:8081" ||
		got.Listen.Activation != "127.0.0.1:1135" {
		t.Fatalf("round trip: %+v", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
}

// TestServerConfigFromFile: the keys that shape the DCOM server reach
// iiss.ServerConfig (the library tests what each one does on the wire).
func TestServerConfigFromFile(t *testing.T) {
	cfg := &Config{}
	cfg.Control.StatusMaxBuffer = 4096
	cfg.Security.MinAuthLevel = "integrity"
	cfg.Security.NetBIOSComputer = "WEB01"
	cfg.Listen.Names = []string{"web01.example.com"}
	sc := serverConfig(cfg, nil, nil)
	if sc.MaxStatusBuffer != 4096 || sc.MinAuthLevel != iiss.AuthLevelIntegrity || sc.NetBIOSComputer != "WEB01" ||
		len(sc.Names) != 1 || sc.Names[0] != "web01.example.com" {
		t.Fatalf("serverConfig: %+v", sc)
	}
}
