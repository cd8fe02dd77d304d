package main

// The local control channel (internal/ctl) of a running iissd: status
// through each service's life compared with /proc, and changes that the
// server uses at once.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/ctl"
	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/svc"
)

// ctlStatus asks d's control channel for one service.
func ctlStatus(t testing.TB, d *demoServer, name string) ctl.ServiceStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := ctl.Client{Path: ctl.SocketPath(d.State)}.Status(ctx, name)
	if err != nil {
		t.Fatalf("status %s over the control channel: %v\n%s", name, err, d.Logs())
	}
	if len(r.Services) != 1 || r.Services[0].ServiceName != name {
		t.Fatalf("status %s: %+v", name, r.Services)
	}
	return r.Services[0]
}

// waitCtl polls the channel (bounded) until ok accepts the service's status.
func waitCtl(t testing.TB, d *demoServer, name, what string, ok func(ctl.ServiceStatus) bool) ctl.ServiceStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var s ctl.ServiceStatus
	for time.Now().Before(deadline) {
		if s = ctlStatus(t, d, name); ok(s) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: never %s; last %+v\n%s", name, what, s, d.Logs())
	return s
}

// procChild checks in /proc that pid is a live child of this process
// (the in-process iissd) carrying tag in its environment, and returns its
// command line.
func procChild(t testing.TB, pid uint32, tag string) string {
	t.Helper()
	if pid == 0 {
		t.Fatal("dwProcessId is 0 for a live service")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("pid %d: %v", pid, err)
	}
	// pid (comm) state ppid ...
	rest := stat[bytes.LastIndexByte(stat, ')')+2:]
	f := strings.Fields(string(rest))
	if f[0] == "Z" {
		t.Fatalf("pid %d is a zombie", pid)
	}
	if ppid, _ := strconv.Atoi(f[1]); ppid != os.Getpid() {
		t.Fatalf("pid %d has parent %d, not iissd (%d)", pid, ppid, os.Getpid())
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if !bytes.Contains(append(env, 0), []byte(tag+"\x00")) {
		t.Fatalf("pid %d is not one of this test's services (no %s)", pid, tag)
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(cmdline), "\x00", " ")
}

func procGone(t testing.TB, pid uint32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || bytes.Contains(st, []byte(") Z ")) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pid %d still alive", pid)
}

// gate is a shell loop that waits for a file.
func gate(path string) string { return fmt.Sprintf(`while [ ! -e '%s' ]; do sleep 0.05; done`, path) }

func touch(t testing.TB, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestControlStatusLifecycle follows services through start pending
// (rising checkpoint), running (the pid of the real child), stop pending
// (rising checkpoint) and stopped (exit 3: 1066 with service-specific 3), over the control
// channel, checking each pid against /proc.
func TestControlStatusLifecycle(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	gates := t.TempDir()
	slowUp, exit3, lingerGo := filepath.Join(gates, "slow-up"), filepath.Join(gates, "exit3"), filepath.Join(gates, "linger")
	slowAddr := freeAddr(t)
	var tag string
	d := startDemo(t, demoOptions{Edit: func(c *Config) {
		c.Services = append(c.Services,
			ServiceConfig{Name: "SLOW", DisplayName: "Slow Starter", Start: "auto", StartCheck: slowAddr,
				Command: []string{"/bin/sh", "-c", gate(slowUp) + `; exec "$0" demo-site --listen "$1"`, exe, slowAddr}},
			ServiceConfig{Name: "EXIT3", DisplayName: "Exits With 3", Start: "auto",
				Command: []string{"/bin/sh", "-c", gate(exit3) + "; exit 3"}},
			ServiceConfig{Name: "LINGER", DisplayName: "Lingers On Stop", Start: "auto", StopTimeout: duration{time.Minute},
				Command: []string{"/bin/sh", "-c", `trap '` + gate(lingerGo) + `; exit 0' TERM; while :; do sleep 0.05; done`}},
		)
		tag = tagServices(c)
	}})

	// Start pending: the checkpoint rises, the wait hint is the start
	// timeout, the pid is the child (still the shell waiting at its gate).
	first := waitCtl(t, d, "SLOW", "StartPending", func(s ctl.ServiceStatus) bool { return s.CurrentState == 2 })
	if first.CheckPoint < 1 || first.WaitHint != uint32(30000) || first.ControlsAccepted != 0 || first.State != "Start Pending" {
		t.Fatalf("start pending: %+v", first)
	}
	pendingPID := first.ProcessID
	procChild(t, pendingPID, tag)
	later := waitCtl(t, d, "SLOW", "a higher checkpoint", func(s ctl.ServiceStatus) bool {
		return s.CurrentState != 2 || s.CheckPoint > first.CheckPoint
	})
	if later.CurrentState != 2 || later.ProcessID != pendingPID {
		t.Fatalf("start pending, later: %+v (first %+v)", later, first)
	}

	// Running: the same pid, now the demo site it exec'd, iissd's child.
	touch(t, slowUp)
	run := waitCtl(t, d, "SLOW", "Running", func(s ctl.ServiceStatus) bool { return s.CurrentState == 4 })
	if run.ProcessID != pendingPID || run.CheckPoint != 0 || run.WaitHint != 0 ||
		run.ControlsAccepted != svc.AcceptStop|svc.AcceptShutdown || run.Win32ExitCode != 0 || run.ServiceFlags != 0 {
		t.Fatalf("running: %+v", run)
	}
	if cmd := procChild(t, run.ProcessID, tag); !strings.Contains(cmd, "demo-site --listen "+slowAddr) {
		t.Fatalf("pid %d runs %q, not SLOW's demo site", run.ProcessID, cmd)
	}
	if run.Since.IsZero() || time.Since(run.Since) > time.Minute || run.LogFile != filepath.Join(d.Config.Backend.LogDir, "SLOW.log") {
		t.Fatalf("running extras: %+v", run)
	}
	if _, err := os.Stat(run.LogFile); err != nil {
		t.Fatalf("log file: %v", err)
	}

	// Stopped by itself with exit status 3: 1066 and service-specific 3.
	e := waitCtl(t, d, "EXIT3", "Running", func(s ctl.ServiceStatus) bool { return s.CurrentState == 4 })
	procChild(t, e.ProcessID, tag)
	touch(t, exit3)
	stopped := waitCtl(t, d, "EXIT3", "Stopped", func(s ctl.ServiceStatus) bool { return s.CurrentState == 1 })
	if stopped.Win32ExitCode != svc.ExitServiceSpecificError || stopped.ServiceSpecificExitCode != 3 ||
		stopped.ProcessID != 0 || stopped.CheckPoint != 0 || stopped.ControlsAccepted != 0 {
		t.Fatalf("exited 3: %+v", stopped)
	}
	procGone(t, e.ProcessID)

	// Stop pending: LINGER holds its stop until its gate opens.
	l := waitCtl(t, d, "LINGER", "Running", func(s ctl.ServiceStatus) bool { return s.CurrentState == 4 })
	stopDone := make(chan cliResult, 1)
	go func() { stopDone <- admin(t, "stop", d.Target(), "--timeout", "60s") }()
	sp := waitCtl(t, d, "LINGER", "StopPending", func(s ctl.ServiceStatus) bool { return s.CurrentState == 3 })
	if sp.ProcessID != l.ProcessID || sp.CheckPoint < 1 || sp.WaitHint != 60000 || sp.ControlsAccepted != 0 {
		t.Fatalf("stop pending: %+v (running was pid %d)", sp, l.ProcessID)
	}
	procChild(t, sp.ProcessID, tag)
	if sp2 := waitCtl(t, d, "LINGER", "a higher checkpoint", func(s ctl.ServiceStatus) bool {
		return s.CurrentState != 3 || s.CheckPoint > sp.CheckPoint
	}); sp2.CurrentState != 3 || sp2.ProcessID != sp.ProcessID {
		t.Fatalf("stop pending, later: %+v", sp2)
	}
	touch(t, lingerGo)
	var r cliResult
	select {
	case r = <-stopDone:
	case <-time.After(60 * time.Second):
		t.Fatal("iisctl stop did not return")
	}
	wantCode(t, r, 0)
	ls := ctlStatus(t, d, "LINGER")
	if ls.CurrentState != 1 || ls.Win32ExitCode != 0 || ls.ServiceSpecificExitCode != 0 || ls.ProcessID != 0 {
		t.Fatalf("stopped by iissd: %+v", ls)
	}
	procGone(t, l.ProcessID)
	procGone(t, run.ProcessID)

	// The wire is unchanged: iisctl still sees SERVICE_STATUS only.
	if got := states(t, d); got["EXIT3"] != "Stopped" || got["SLOW"] != "Stopped" {
		t.Fatalf("iisctl status: %v", got)
	}
}

// TestControlChangesApplyAtOnce: disable, enable and user add/del through
// the channel change what the running server does on the very next call.
func TestControlChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	c := ctl.Client{Path: ctl.SocketPath(d.State)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if _, err := c.SetDisabled(ctx, true); err != nil {
		t.Fatal(err)
	}
	r := admin(t, "status", d.Target())
	wantCode(t, r, 6)
	if _, err := c.SetDisabled(ctx, false); err != nil {
		t.Fatal(err)
	}
	wantCode(t, admin(t, "status", d.Target()), 0)

	const newUser, newPass = "operator", "0perator-Passw0rd"
	asNew := func() cliResult {
		return cli(t, []string{"IISCTL_PASSWORD=" + newPass}, "status", d.Target(), "-u", newUser)
	}
	wantCode(t, asNew(), 3)
	if _, err := c.AddUser(ctx, newUser, "", ntlm.NTHash(newPass), true); err != nil {
		t.Fatal(err)
	}
	wantCode(t, asNew(), 0) // no SIGHUP, no restart
	users, err := c.ListUsers(ctx)
	if err != nil || len(users) != 3 || users[2] != (ctl.User{Name: newUser, Admin: true}) {
		t.Fatalf("user-list: %v %+v", err, users)
	}
	if _, err := c.DelUser(ctx, newUser, ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, asNew(), 3)
	if _, err := c.DelUser(ctx, newUser, ""); !errors.Is(err, ctl.ErrFailed) || !strings.Contains(err.Error(), newUser) {
		t.Fatalf("deleting a missing user: %v", err)
	}

	var methods []string
	for _, a := range auditLines(t, d) {
		if m, _ := a["method"].(string); strings.HasPrefix(m, "Local ") {
			methods = append(methods, m+" "+a["result"].(string))
			if u, _ := a["user"].(string); !strings.Contains(u, fmt.Sprintf("uid %d", os.Geteuid())) {
				t.Errorf("audit user %q", u)
			}
		}
	}
	want := []string{"Local disable S_OK", "Local enable S_OK", "Local user-add operator S_OK",
		"Local user-del operator S_OK", "Local user-del operator E_FAIL"}
	if strings.Join(methods, "|") != strings.Join(want, "|") {
		t.Fatalf("audited %q, want %q", methods, want)
	}
}

// TestLocalCommandsUseTheServer: `iissd status`, disable/enable and
// user add/del/list go through the running server's control channel and
// say so; the server uses the change on the next call.
func TestLocalCommandsUseTheServer(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	state := []string{"--state", d.State}
	iissd := func(stdin string, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := runCmd(t, stdin, append(args, state...)...)
		if code != 0 {
			t.Fatalf("iissd %q: exit %d\n%s%s", args, code, out, errOut)
		}
		return out, errOut
	}

	// status: sc queryex blocks, every service or the ones named.
	out, _ := iissd("", "status")
	for _, want := range []string{"\nSERVICE_NAME: WAS\nDISPLAY_NAME: Windows Process Activation Service\n",
		"\nSERVICE_NAME: W3SVC\n", "\nSERVICE_NAME: FTPSVC\n",
		"        STATE              : 4  RUNNING\n                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\n",
		"        STATE              : 1  STOPPED\n                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\n",
		"        TYPE               : 10  WIN32_OWN_PROCESS\n", "        LOG_FILE           : " + d.Config.Backend.LogDir} {
		if !strings.Contains(out, want) {
			t.Fatalf("iissd status lacks %q:\n%s", want, out)
		}
	}
	out, _ = iissd("", "status", "w3svc", "--json")
	var js struct {
		Disabled bool                `json:"disabled"`
		Services []ctl.ServiceStatus `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js.Services) != 1 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	w3 := js.Services[0]
	if w3.ServiceName != "W3SVC" || w3.CurrentState != 4 || w3.ProcessID == 0 || js.Disabled ||
		!strings.Contains(out, `"dwServiceSpecificExitCode": 0`) || !strings.Contains(out, `"dwProcessId": `) {
		t.Fatalf("status --json:\n%s", out)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", w3.ProcessID)); err != nil {
		t.Fatalf("W3SVC's pid %d: %v", w3.ProcessID, err)
	}
	if _, errOut, code := runCmd(t, "", append([]string{"status", "NOSUCH"}, state...)...); code != 1 ||
		!strings.Contains(errOut, "NOSUCH") || !strings.Contains(errOut, "WAS, W3SVC, FTPSVC") {
		t.Fatalf("status NOSUCH: exit %d\n%s", code, errOut)
	}

	// disable/enable: through the server, effective on the next call.
	out, _ = iissd("", "disable")
	wantContains(t, "iissd disable", out, "now disabled", "applied by the running iissd (control socket "+ctl.SocketPath(d.State)+")")
	wantCode(t, admin(t, "status", d.Target()), 6)
	out, _ = iissd("", "status", "WAS")
	wantContains(t, "iissd status while disabled", out, "Remote control of the Internet services is disabled")
	out, _ = iissd("", "enable")
	wantContains(t, "iissd enable", out, "now enabled", "applied by the running iissd")
	wantCode(t, admin(t, "status", d.Target()), 0)

	// user add/list/del: the new account works at once, then not at all.
	const name, pass = "carol", "C4rol-Passw0rd"
	out, _ = iissd(pass+"\n", "user", "add", name, "--password-stdin")
	wantContains(t, "iissd user add", out, "added carol", "applied by the running iissd")
	wantCode(t, cli(t, []string{"IISCTL_PASSWORD=" + pass}, "status", d.Target(), "-u", name), 0)
	out, errOut := iissd("", "user", "list")
	wantContains(t, "iissd user list", out, "carol", "admin")
	wantContains(t, "iissd user list stderr", errOut, "the accounts the running iissd uses")
	out, _ = iissd("", "user", "del", name)
	wantContains(t, "iissd user del", out, "removed carol", "applied by the running iissd")
	wantCode(t, cli(t, []string{"IISCTL_PASSWORD=" + pass}, "status", d.Target(), "-u", name), 3)

	// reload: answered once done; a broken file is refused, the accounts stay.
	out, _ = iissd("", "reload")
	wantContains(t, "iissd reload", out, "users file reloaded")
	if err := os.WriteFile(d.Config.Security.UsersFile, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCmd(t, "", append([]string{"reload"}, state...)...); code != 1 || !strings.Contains(errOut, "reload") {
		t.Fatalf("reload of a broken file: exit %d\n%s", code, errOut)
	}
	wantCode(t, admin(t, "status", d.Target()), 0)
}

// TestLocalCommandsWithoutServer: with no iissd running, disable and
// enable write the switch file and say so; status says iissd is not running.
func TestLocalCommandsWithoutServer(t *testing.T) {
	state := t.TempDir()
	out, errOut, code := runCmd(t, "", "disable", "--state", state)
	if code != 0 {
		t.Fatalf("disable: exit %d\n%s", code, errOut)
	}
	wantContains(t, "iissd disable", out, "now disabled", "iissd is not running (no control socket at "+ctl.SocketPath(state)+")")
	if _, err := os.Stat(filepath.Join(state, "disabled")); err != nil {
		t.Fatalf("switch file: %v", err)
	}
	if _, errOut, code = runCmd(t, "", "status", "--state", state); code != 1 || !strings.Contains(errOut, "iissd is not running") {
		t.Fatalf("status without a server: exit %d\n%s", code, errOut)
	}
	users := filepath.Join(t.TempDir(), "users")
	out, _, code = runCmd(t, "", "user", "add", "dave", "--hash", "8846f7eaee8fb117ad06bdd830b7586c", "--users", users, "--state", state)
	if code != 0 || !strings.Contains(out, "changed the file named by --users") {
		t.Fatalf("user add --users: exit %d\n%s", code, out)
	}
}

// envRunAsIissd makes the test binary run iissd's command line (TestMain).
const envRunAsIissd = "IISSD_TEST_RUN_AS_IISSD"

// TestControlRefusesOtherUser runs `iissd status` and `iissd disable` as
// nobody against a running iissd: refused (the socket is 0600 in a 0700
// state directory), the command says so, and the file fallback is not
// taken behind the running server's back.
func TestControlRefusesOtherUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		peertest.Skip(t, "running iissd as another uid needs root (this test runs as uid %d)", os.Geteuid())
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		peertest.Skip(t, "no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	d := startReady(t, demoOptions{})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	binDir, err := os.MkdirTemp("", "iissd-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	bin := filepath.Join(binDir, "iissd")
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(exe); err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatalf("copying the test binary: %v", err)
	}
	asNobody := func(args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(args, "--state", d.State)...)
		cmd.Env = append(os.Environ(), envRunAsIissd+"=1", "IISSD_CONFIG=")
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("running iissd as nobody: %v", err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := asNobody("status")
	if code != 1 || !strings.Contains(out, "access denied") || !strings.Contains(out, "only root and iissd's user") {
		t.Fatalf("iissd status as nobody: exit %d\n%s", code, out)
	}
	t.Logf("iissd status as nobody:\n%s", out)
	out, code = asNobody("disable")
	if code != 1 || !strings.Contains(out, "access denied") {
		t.Fatalf("iissd disable as nobody: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(d.State, "disabled")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("nobody's disable left a switch file: %v", err)
	}
	wantCode(t, admin(t, "status", d.Target()), 0)
	// root still gets its answer.
	if s := ctlStatus(t, d, "WAS"); s.CurrentState != 4 {
		t.Fatalf("WAS: %+v", s)
	}
}
