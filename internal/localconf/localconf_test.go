package localconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "iissd.toml")
	os.WriteFile(cfg, []byte("[state]\ndir = \"/srv/state\"\n[security]\nusers_file = \"/srv/users\"\n[[service]]\nname = \"x\"\n"), 0o600)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	l, err := Locate(Flags{Config: cfg}, getenv)
	if err != nil || l.StateDir != "/srv/state" || l.UsersFile != "/srv/users" || l.Config != cfg {
		t.Fatalf("--config: %+v %v", l, err)
	}
	if got := l.DescribeState(); got != "/srv/state (state.dir of "+cfg+")" {
		t.Errorf("DescribeState = %q", got)
	}
	env[EnvConfig] = cfg
	if l, err = Locate(Flags{}, getenv); err != nil || l.StateDir != "/srv/state" || l.ConfigFrom != "$IISSD_CONFIG" {
		t.Fatalf("$IISSD_CONFIG: %+v %v", l, err)
	}
	env[EnvStateDir] = "/env/state"
	if l, _ = Locate(Flags{}, getenv); l.StateDir != "/env/state" || l.DescribeState() != "/env/state (from $IISSD_STATE_DIR)" {
		t.Fatalf("$IISSD_STATE_DIR: %+v", l)
	}
	if l, _ = Locate(Flags{StateDir: "/flag", UsersFile: "/u"}, getenv); l.StateDir != "/flag" || l.UsersFile != "/u" {
		t.Fatalf("flags: %+v", l)
	}
	// A named configuration must exist; so must a readable one parse.
	if _, err := Locate(Flags{Config: filepath.Join(dir, "absent.toml")}, getenv); err == nil || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("absent --config: %v", err)
	}
	os.WriteFile(cfg, []byte("[state\n"), 0o600)
	if _, err := Locate(Flags{Config: cfg}, getenv); err == nil {
		t.Fatal("broken config accepted")
	}
	if p, from := ConfigPath("", func(string) string { return "" }); p != DefaultConfig || from != "default" {
		t.Fatalf("ConfigPath default = %s %s", p, from)
	}
}
