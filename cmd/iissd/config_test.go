package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
