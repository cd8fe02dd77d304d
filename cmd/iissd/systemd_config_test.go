package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSystemdConfigDoc loads the configuration that docs/systemd.md shows,
// so that the documented [backend.systemd] keys cannot drift from the code,
// and checks that each reaches SystemdConfig.
func TestSystemdConfigDoc(t *testing.T) {
	doc, err := os.ReadFile("../../docs/systemd.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```toml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/systemd.md has no ```toml block")
	}
	path := filepath.Join(t.TempDir(), "iissd.toml")
	if err := os.WriteFile(path, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatalf("the documented configuration does not load: %v\n%s", err, block)
	}
	s := cfg.Backend.Systemd
	if cfg.Backend.Type != "systemd" || s.Target != "iis.target" || s.Prefix != "iis-" || s.Direct || s.Bus != "" ||
		!slices.Equal(cfg.Control.KillExtra, []string{"php-cgi"}) {
		t.Errorf("documented configuration read as %+v, kill_extra %v", s, cfg.Control.KillExtra)
	}

	// Every key, set.
	full := `[backend]
type = "systemd"
[backend.systemd]
bus = "unix:path=/run/systemd/private"
direct = true
units = ["was", "w3svc", "ftpsvc"]
demand = ["ftpsvc"]
prefix = "iis-"
`
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	s = cfg.Backend.Systemd
	if s.Bus != "unix:path=/run/systemd/private" || !s.Direct || s.Prefix != "iis-" ||
		!slices.Equal(s.Units, []string{"was", "w3svc", "ftpsvc"}) || !slices.Equal(s.Demand, []string{"ftpsvc"}) {
		t.Errorf("systemd keys read as %+v", s)
	}
}
