package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/ctl"
	"github.com/iisctl/iisctl/svc"
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
	if want := "state directory: " + dir + " (from $IISSD_STATE_DIR)\niissd is not running (no control socket at " +
		filepath.Join(dir, "iissd.sock") + "): changed the files"; !strings.HasPrefix(e.errOut.String(), want) {
		t.Fatalf("stderr %q, want %q...", e.errOut, want)
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

// countingSwitch is the server's switch file, counting the server's flips.
type countingSwitch struct {
	*iiss.FileDisableState
	flips atomic.Int32
}

func (c *countingSwitch) Disable() error { c.flips.Add(1); return c.FileDisableState.Disable() }
func (c *countingSwitch) Enable() error  { c.flips.Add(1); return c.FileDisableState.Enable() }

// With iissd running on that state directory, /DISABLE and /ENABLE go
// through its control channel, and stderr says so.
func TestResetDisableEnableViaServer(t *testing.T) {
	dir, err := os.MkdirTemp("", "iisreset") // short: a socket path has 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	fs, err := iiss.NewFileDisableState(dir)
	if err != nil {
		t.Fatal(err)
	}
	sw := &countingSwitch{FileDisableState: fs}
	srv, err := ctl.Listen(ctl.Config{Path: ctl.SocketPath(dir), Switch: sw,
		Services: func(context.Context) ([]svc.Status, error) { return nil, nil },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("control server did not stop")
		}
	})

	e := newEnv(false)
	e.vars["IISSD_STATE_DIR"] = dir
	if code := e.run(t, "iisreset", "/DISABLE"); code != 0 {
		t.Fatalf("/DISABLE exit %d: %s%s", code, e.out, e.errOut)
	}
	if d, _ := fs.Disabled(); !d || sw.flips.Load() != 1 {
		t.Fatalf("disabled %v after %d flips by the server", d, sw.flips.Load())
	}
	if !strings.Contains(e.errOut.String(), "applied by the running iissd (control socket "+ctl.SocketPath(dir)+")") {
		t.Fatalf("stderr %q", e.errOut)
	}
	if code := e.run(t, "iisreset", "/ENABLE"); code != 0 {
		t.Fatalf("/ENABLE exit %d: %s%s", code, e.out, e.errOut)
	}
	if d, _ := fs.Disabled(); d || sw.flips.Load() != 2 {
		t.Fatalf("disabled %v after %d flips by the server", d, sw.flips.Load())
	}
}
