package main

import (
	"bytes"
	"strings"

	"github.com/iisctl/iisctl/iiss"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// An empty users file is refused on reload: the accounts in use stay.
func TestReloadRefusesEmptyUsersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	writeTestUsers(t, path)
	c, err := newReloadableCreds(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.reload(); err == nil {
		t.Fatal("an empty users file was accepted on reload")
	}
	if _, ok := c.Lookup(testAdmin, ""); !ok {
		t.Fatal("the previous accounts were dropped")
	}
	// A reload by SIGHUP or the watcher is audited, refused or not.
	var buf bytes.Buffer
	c.audit = iiss.NewJSONAuditor(&buf)
	reloadUsers(c, slog.New(slog.NewTextHandler(io.Discard, nil)), "SIGHUP")
	if a := buf.String(); !strings.Contains(a, `"method":"Local reload"`) || !strings.Contains(a, `"result":"E_FAIL"`) ||
		!strings.Contains(a, "SIGHUP") {
		t.Fatalf("audit: %s", a)
	}
}

// Temporary files of killed writers are removed at startup; one being
// written right now is left alone.
func TestCleanTempFiles(t *testing.T) {
	state, etc := t.TempDir(), t.TempDir()
	cfg := &Config{State: StateConfig{Dir: state}, Security: SecurityConfig{UsersFile: filepath.Join(etc, "users")}}
	old := time.Now().Add(-time.Hour)
	stale := []string{filepath.Join(state, ".disabled-123"), filepath.Join(etc, ".users.tmp456")}
	fresh := filepath.Join(state, ".disabled-789")
	keep := filepath.Join(etc, "users")
	for _, p := range append(stale, fresh, keep) {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range append(stale, keep) {
		os.Chtimes(p, old, old)
	}
	removed := cleanTempFiles(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(removed) != 2 {
		t.Fatalf("removed %v", removed)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left", p)
		}
	}
	for _, p := range []string{fresh, keep} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed", p)
		}
	}
}
