package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Without a computer name, /DISABLE and /ENABLE flip iissd's switch on
// this computer, as iisreset does on Windows; no connection is made.
func TestResetDisableEnableLocal(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "disabled")
	e := newEnv(false)
	e.vars["IISSD_STATE_DIR"] = dir
	if code := e.run(t, "iisreset", "/DISABLE"); code != 0 {
		t.Fatalf("/DISABLE exit %d: %s%s", code, e.out, e.errOut)
	}
	if _, err := os.Stat(flag); err != nil {
		t.Fatalf("switch file not written: %v", err)
	}
	if want := "state directory: " + dir + " (from $IISSD_STATE_DIR)\n"; e.errOut.String() != want {
		t.Fatalf("stderr %q, want %q", e.errOut, want)
	}
	if code := e.run(t, "iisctl", "reset", "/enable"); code != 0 {
		t.Fatalf("/enable exit %d: %s%s", code, e.out, e.errOut)
	}
	if _, err := os.Stat(flag); !os.IsNotExist(err) {
		t.Fatalf("switch file still there after /enable: %v", err)
	}
	if len(e.conns) != 0 {
		t.Fatalf("%d connections made for a local switch", len(e.conns))
	}
}
