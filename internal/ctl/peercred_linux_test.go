package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/peertest"
)

// childEnv makes the test binary a control-channel client (see TestMain):
// it asks for "disable" at the socket named in the variable and prints
// the outcome as one JSON line.
const childEnv = "IISCTL_CTL_TEST_CLIENT"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(childClient(path))
	}
	os.Exit(m.Run())
}

type childResult struct {
	UID          int    `json:"uid"`
	AccessDenied bool   `json:"access_denied"`
	Remote       bool   `json:"remote"` // the server itself answered
	Err          string `json:"err"`
}

func childClient(path string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Client{Path: path}.SetDisabled(ctx, true)
	var re *RemoteError
	r := childResult{UID: os.Getuid(), AccessDenied: errors.Is(err, ErrAccessDenied), Remote: errors.As(err, &re)}
	if err != nil {
		r.Err = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

// runAsNobody runs the test binary as nobody against the socket at path.
func runAsNobody(t *testing.T, path string) childResult {
	t.Helper()
	if os.Geteuid() != 0 {
		peertest.Skip(t, "running a client as another uid needs root (this test runs as uid %d)", os.Geteuid())
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		peertest.Skip(t, "no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// nobody must be able to execute a copy of the test binary.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(worldDir(t), "ctl.test")
	copyFile(t, exe, bin, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	cmd.Dir = "/"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client as nobody: %v\n%s", err, out)
	}
	var r childResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("client as nobody printed %q: %v", out, err)
	}
	if r.UID != uid {
		t.Fatalf("the child ran as uid %d, want %d", r.UID, uid)
	}
	return r
}

// worldDir is a temporary directory everyone may enter.
func worldDir(t *testing.T) string {
	t.Helper()
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOtherUserRefusedByPeerCred widens the socket's mode so that nobody
// can connect at all, and checks that SO_PEERCRED still refuses it, with
// a logged and audited refusal, and that nothing changed.
func TestOtherUserRefusedByPeerCred(t *testing.T) {
	h := start(t, func(c *Config) {
		c.Path = SocketPath(worldDir(t))
		c.Mode = 0o666
	})
	r := runAsNobody(t, h.srv.Path())
	if !r.AccessDenied || !r.Remote || !strings.Contains(r.Err, fmt.Sprintf("uid %d may not use", r.UID)) {
		t.Fatalf("nobody through a 0666 socket: %+v", r)
	}
	if d, _ := h.sw.Disabled(); d {
		t.Fatal("nobody disabled the server")
	}
	recs := h.audit.all()
	if len(recs) != 1 || recs[0].Result != iiss.E_ACCESSDENIED || recs[0].Method != `Local "disable"` ||
		!strings.Contains(recs[0].Caller.User, fmt.Sprintf("uid %d", r.UID)) {
		t.Errorf("refusal audit: %+v", recs)
	}
	// root (this process) is still served.
	if _, err := h.client.SetDisabled(ctxT(t), true); err != nil {
		t.Errorf("root after the refusal: %v", err)
	}
}

// TestOtherUserRefusedByMode: with the default 0600 socket nobody cannot
// even connect, and the client says so rather than "not running".
func TestOtherUserRefusedByMode(t *testing.T) {
	h := start(t, func(c *Config) { c.Path = SocketPath(worldDir(t)) })
	r := runAsNobody(t, h.srv.Path())
	if !r.AccessDenied || r.Remote || !strings.Contains(r.Err, "only root and iissd's user") {
		t.Fatalf("nobody through a 0600 socket: %+v", r)
	}
	if d, _ := h.sw.Disabled(); d {
		t.Fatal("nobody disabled the server")
	}
}
