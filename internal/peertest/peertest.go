package peertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// EnvRequirePeers is the environment variable that turns skips into failures.
const EnvRequirePeers = "IISCTL_REQUIRE_PEERS"

// PythonPath is the interpreter used for impacket peers.
const PythonPath = "/usr/bin/python3"

// DefaultTimeout bounds helper processes whose context has no deadline.
const DefaultTimeout = 60 * time.Second

// RequirePeers reports whether IISCTL_REQUIRE_PEERS=1: missing peers are then
// test failures rather than skips.
func RequirePeers() bool { return os.Getenv(EnvRequirePeers) == "1" }

// Skip skips the test with the formatted message, or fails it when
// RequirePeers().
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequirePeers() {
		t.Fatalf(format+" ("+EnvRequirePeers+"=1)", args...)
	}
	t.Skipf(format, args...)
}

var (
	impacketOnce sync.Once
	impacketErr  error
)

// Python returns PythonPath when it exists and can import impacket, and
// skips the test otherwise.
func Python(t testing.TB) string {
	t.Helper()
	impacketOnce.Do(func() {
		if _, err := os.Stat(PythonPath); err != nil {
			impacketErr = fmt.Errorf("python3 not installed (%v): apt-get install python3-impacket", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, PythonPath, "-c", "import impacket").CombinedOutput()
		if err != nil {
			impacketErr = fmt.Errorf("python3-impacket not installed: apt-get install python3-impacket (%v: %s)", err, bytes.TrimSpace(out))
		}
	})
	if impacketErr != nil {
		Skip(t, "%v", impacketErr)
	}
	return PythonPath
}

// RunPython writes script to a temporary file and runs it with PythonPath and
// args. It does not require impacket (call Python first for that). The run is
// bounded by ctx, or by DefaultTimeout when ctx has no deadline.
func RunPython(t testing.TB, ctx context.Context, script string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if _, err := os.Stat(PythonPath); err != nil {
		Skip(t, "python3 not installed: apt-get install python3")
	}
	f := filepath.Join(t.TempDir(), "peer.py")
	if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	return run(ctx, PythonPath, append([]string{f}, args...)...)
}

// run executes a command bounded by ctx (or DefaultTimeout).
func run(ctx context.Context, name string, args ...string) (string, string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	var so, se bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%s: %w (%v)", filepath.Base(name), ctx.Err(), err)
	}
	return so.String(), se.String(), err
}

// Tshark returns the path of tshark, skipping the test when it is absent.
func Tshark(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		Skip(t, "tshark not installed: apt-get install tshark")
	}
	return p
}

var errNoCapturer = errors.New("neither dumpcap nor tshark is installed: apt-get install tshark")
