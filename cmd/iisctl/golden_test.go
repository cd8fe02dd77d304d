package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	check(t, name, got, string(want))
}

// TestHelpGolden: iisctl's help as a user sees it. After a deliberate
// change: go test ./cmd/iisctl -run TestHelpGolden -update.
func TestHelpGolden(t *testing.T) {
	for name, argv := range map[string][]string{
		"help-iisctl.golden": {"iisctl", "--help"},
		"help-status.golden": {"iisctl", "help", "status"},
		"help-stop.golden":   {"iisctl", "stop", "--help"},
	} {
		e := newEnv(false)
		if code := e.run(t, argv...); code != 0 {
			t.Fatalf("%q: exit %d\n%s", argv, code, e.errOut)
		}
		golden(t, name, e.out.String())
	}
}
