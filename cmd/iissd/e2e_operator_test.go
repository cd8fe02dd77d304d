package main

// End-to-end tests of issue 14 (operator experience), by numbered point.

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ntlm"
)

func hashHex(pw string) string { h := ntlm.NTHash(pw); return hex.EncodeToString(h[:]) }

// waitLog waits (bounded) until iissd's operational log matches re.
func waitLog(t testing.TB, d *demoServer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindString(d.OpLog()); m != "" {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("iissd's log does not match %q:\n%s", re, d.OpLog())
	return ""
}

// Point 2: the local commands act on the state directory and users file
// of the configuration the server reads, found the server's way, and say
// which ones they changed; iisreset /DISABLE without a computer name too.
func TestE2ELocalCommandsFollowServerConfig(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	cfgPath := filepath.Join(t.TempDir(), "iissd.toml")
	if err := writeConfig(cfgPath, d.Config); err != nil {
		t.Fatal(err)
	}

	// iisreset /DISABLE, local, with the server's configuration in
	// $IISSD_CONFIG: the running server is disabled.
	link := filepath.Join(t.TempDir(), "iisreset")
	if err := os.Symlink(iisctlBin(t), link); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, link, []string{"IISSD_CONFIG=" + cfgPath}, "/DISABLE")
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr, "state directory: "+d.State+" (state.dir of "+cfgPath+")",
		"applied by the running iissd (control socket "+filepath.Join(d.State, "iissd.sock")+")")
	wantCode(t, admin(t, "status", d.Target()), 6)

	// iissd enable --config: the same directory, named.
	out, errOut, code := runCmd(t, "", "enable", "--config", cfgPath)
	if code != 0 {
		t.Fatalf("enable: %d %s", code, errOut)
	}
	wantContains(t, "iissd enable", out, "now enabled", "state directory: "+d.State+" (state.dir of "+cfgPath+")",
		"switch file: "+filepath.Join(d.State, "disabled"))
	wantCode(t, admin(t, "status", d.Target()), 0)

	// iissd user add --config names the users file the server reads.
	out, errOut, code = runCmd(t, "", "user", "add", "--config", cfgPath, "eve", "--hash", hashHex("Eve-Passw0rd"))
	if code != 0 {
		t.Fatalf("user add: %d %s", code, errOut)
	}
	wantContains(t, "iissd user add", out, "added eve to the users file "+d.Config.Security.UsersFile+" (security.users_file of "+cfgPath+")",
		"applied by the running iissd (control socket "+filepath.Join(d.State, "iissd.sock")+"); it uses the change now")
	wantCode(t, cli(t, []string{"IISCTL_PASSWORD=Eve-Passw0rd"}, "status", d.Target(), "-u", "eve"), 0)
}

// Point 3: iissd notices a change of its users file by itself, logs the
// reload, and a broken file keeps the previous accounts.
func TestE2EUsersFileReloadsByItself(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	env := []string{"IISCTL_PASSWORD=N3wbie-Passw0rd"}
	wantCode(t, cli(t, env, "status", d.Target(), "-u", "newbie"), 3)

	_, errOut, code := runCmd(t, "", "user", "add", "newbie", "--users", d.Config.Security.UsersFile,
		"--hash", hashHex("N3wbie-Passw0rd"))
	if code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	waitLog(t, d, regexp.MustCompile(`msg="users file reloaded" path=`+regexp.QuoteMeta(d.Config.Security.UsersFile)+` why="changed on disk" accounts=3`))
	wantCode(t, cli(t, env, "status", d.Target(), "-u", "newbie"), 0)

	// A broken file is refused; the accounts stay.
	if err := os.WriteFile(d.Config.Security.UsersFile, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLog(t, d, regexp.MustCompile(`msg="reload of the users file failed; keeping the previous one"`))
	wantCode(t, cli(t, env, "status", d.Target(), "-u", "newbie"), 0)
}

// Point 7: service lifecycle lines name the service, its exit codes and
// its log file; the audit trail is not in the operational log.
func TestE2ELifecycleLogAndAudit(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{Edit: func(c *Config) {
		c.Services = append(c.Services, ServiceConfig{Name: "CRASHY", Start: "auto", Restart: "on-failure",
			Command: []string{"/bin/sh", "-c", "echo crashing; sleep 0.5; exit 3"}})
	}})
	logFile := filepath.Join(d.Config.Backend.LogDir, "CRASHY.log")
	waitLog(t, d, regexp.MustCompile(`level=WARN msg="service exited on its own" service=CRASHY pid=\d+ win32_exit_code=1066 service_exit_code=3 ran=\S+ log=`+regexp.QuoteMeta(logFile)))
	waitLog(t, d, regexp.MustCompile(`level=WARN msg="service will be restarted" service=CRASHY restart=on-failure in=1s`))
	waitLog(t, d, regexp.MustCompile(`msg="service process started" service=CRASHY pid=\d+ restarted=true`))
	if b, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(b), "crashing") {
		t.Fatalf("the service's log file %s: %q %v", logFile, b, err)
	}

	wantCode(t, admin(t, "stop", d.Target()), 0)
	waitLog(t, d, regexp.MustCompile(`msg="service stopped" service=W3SVC`))
	if strings.Contains(d.OpLog(), "iiss audit") {
		t.Fatalf("audit records in the operational log:\n%s", d.OpLog())
	}
	b, err := os.ReadFile(d.Config.Log.Audit)
	if err != nil || !strings.Contains(string(b), `"msg":"iiss audit"`) || !strings.Contains(string(b), `"method":"Stop"`) {
		t.Fatalf("audit file %s: %v\n%s", d.Config.Log.Audit, err, b)
	}
}

// Point 7: under systemd (JOURNAL_STREAM names stderr) text lines carry
// no timestamp; elsewhere they do.
func TestJournalLogging(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stream")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	stream := strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(st.Ino, 10)
	if !toJournal(f, stream) || toJournal(f, "1:2") || toJournal(f, "") || toJournal(os.Stdout, stream) {
		t.Fatal("toJournal does not compare device and inode")
	}
	newLogger(LogConfig{Level: "info", Format: "text"}, f).Info("hello")
	t.Setenv("JOURNAL_STREAM", stream)
	newLogger(LogConfig{Level: "info", Format: "text"}, f).Info("journal")
	b, _ := os.ReadFile(f.Name())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "time=") || lines[1] != `level=INFO msg=journal` {
		t.Fatalf("log lines:\n%s", b)
	}
}

// Point 10: each demo has its own state directory, a free site port when
// 8080 is taken, prints the password only when it generated it, and
// listens on loopback only.
func TestE2EDemoIsolation(t *testing.T) {
	// Not parallel: IISSD_DEMO_PASSWORD is read from the environment.
	if l, err := net.Listen("tcp", demoSite); err == nil {
		defer l.Close() // 8080 is taken, by us
	}
	type demo struct {
		out    *syncBuffer
		cancel context.CancelFunc
		done   chan error
	}
	start := func() *demo {
		ctx, cancel := context.WithCancel(context.Background())
		d := &demo{out: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
		go func() { d.done <- serveDemo(ctx, serveFlags{listen: "127.0.0.1:0"}, d.out, &syncBuffer{}) }()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(d.out.String(), "Try, in another terminal") {
			if time.Now().After(deadline) {
				t.Fatalf("no demo banner:\n%s", d.out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		return d
	}
	stop := func(d *demo) {
		d.cancel()
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Fatal("demo did not stop")
		}
	}
	field := func(d *demo, re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(d.out.String())
		if m == nil {
			t.Fatalf("banner lacks %q:\n%s", re, d.out.String())
		}
		return m[1]
	}
	t.Setenv("IISSD_DEMO_PASSWORD", "")
	a := start()
	t.Setenv("IISSD_DEMO_PASSWORD", "Ch0sen-Passw0rd")
	b := start()
	stateA, stateB := field(a, `state directory: (\S+)`), field(b, `state directory: (\S+)`)
	siteA, siteB := field(a, `web site on http://(\S+)/`), field(b, `web site on http://(\S+)/`)
	if stateA == stateB || siteA == siteB || siteA == demoSite || siteB == demoSite {
		t.Fatalf("demos share state (%s, %s) or site (%s, %s)", stateA, stateB, siteA, siteB)
	}
	pw := field(a, `password (\S+) \(generated`)
	wantContains(t, "generated banner", a.out.String(), "export IISCTL_PASSWORD='"+pw+"'")
	if strings.Contains(b.out.String(), "Ch0sen-Passw0rd") {
		t.Fatalf("the chosen password is printed:\n%s", b.out.String())
	}
	wantContains(t, "chosen banner", b.out.String(), "password from IISSD_DEMO_PASSWORD", `export IISCTL_PASSWORD="$IISSD_DEMO_PASSWORD"`)
	// The saved configuration lets the local commands find the demo.
	cfgA := field(a, `export IISSD_CONFIG=(\S+)`)
	if c, err := LoadConfig(cfgA); err != nil || c.State.Dir != stateA {
		t.Fatalf("demo configuration %s: %v", cfgA, err)
	}
	stop(a)
	stop(b)
	for _, dir := range []string{stateA, stateB} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("temporary state directory %s left behind: %v", dir, err)
		}
	}

	_, errOut, code := runCmd(t, "", "--demo", "--listen", "0.0.0.0:1135")
	if code != 1 || !strings.Contains(errOut, "iissd: --demo listens on loopback only") || strings.Count(errOut, "iissd:") != 1 {
		t.Fatalf("--demo --listen 0.0.0.0: exit %d\n%s", code, errOut)
	}
}

// Point 5: a start that fails at once (the service exits) shows no advice
// to raise the timeout; a real timeout in iisreset mode names /TIMEOUT.
func TestE2EStartFailureHints(t *testing.T) {
	t.Parallel()
	closed := freeAddr(t)
	e := startReady(t, demoOptions{Edit: func(c *Config) {
		c.Services = append(c.Services, ServiceConfig{Name: "BROKEN", Start: "auto",
			Command: []string{"/bin/sh", "-c", "exit 1"}})
	}})
	r := admin(t, "start", e.Target())
	wantCode(t, r, 5)
	wantContains(t, "stderr", r.stderr, "hint: a service on "+e.Target()+" failed after ", "before the 1m0s timeout")
	if strings.Contains(r.stderr, "--timeout") || r.dur > 20*time.Second {
		t.Fatalf("a fast failure advises a larger timeout, or was slow\n%s", r)
	}

	f := startReady(t, demoOptions{Edit: func(c *Config) {
		c.Services = append(c.Services, ServiceConfig{Name: "NEVERUP", Start: "auto", StartCheck: closed,
			Command: []string{"/bin/sh", "-c", "while :; do sleep 1; done"}})
	}})
	link := filepath.Join(t.TempDir(), "iisreset")
	if err := os.Symlink(iisctlBin(t), link); err != nil {
		t.Fatal(err)
	}
	r = runBin(t, link, []string{"IISCTL_PASSWORD=" + testAdminPass}, "-u", testAdmin, f.Target(), "/START", "/TIMEOUT:1")
	wantCode(t, r, 5)
	wantContains(t, "stderr", r.stderr, "did not finish within 1s; allow more with /TIMEOUT (e.g. /TIMEOUT:120)")
	if strings.Contains(r.stderr, "--timeout") {
		t.Fatalf("iisreset mode names a flag it does not take\n%s", r)
	}
	wantCode(t, admin(t, "kill", f.Target()), 0)
}

// Point 4: iissd's shutdown says what it waits for, waits as long as the
// services' stop_timeout allows, and a second signal forces the exit,
// killing the services.
func TestE2EShutdownSecondSignal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	writeTestUsers(t, users)
	cfg := &Config{
		Listen:   ListenConfig{Activation: "127.0.0.1:0", Object: "127.0.0.1:0"},
		Security: SecurityConfig{UsersFile: users},
		State:    StateConfig{Dir: filepath.Join(dir, "state")},
	}
	stubborn(cfg) // ignores SIGTERM; stop_timeout 1m
	tag := tagServices(cfg)
	path := filepath.Join(dir, "iissd.toml")
	if err := writeConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "iissd-main", "--config", path)
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done, exited := make(chan error, 1), make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	waitText := func(re string) {
		t.Helper()
		r := regexp.MustCompile(re)
		deadline := time.Now().Add(15 * time.Second)
		for !r.MatchString(stderr.String()) {
			if time.Now().After(deadline) {
				t.Fatalf("iissd's log does not match %q:\n%s", re, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitText(`msg="service process started" service=STUBBORN`)
	waitText(`msg="automatic services started"`)
	cmd.Process.Signal(syscall.SIGTERM)
	waitText(`msg="iissd shutting down: closing the listeners, waiting up to 10s for calls in progress, then stopping the supervised services; a second SIGTERM or SIGINT forces the exit"`)
	waitText(`msg="stopping the supervised services, each within its stop_timeout, then killing them" services=STUBBORN max_wait=1m5s`)
	select {
	case err := <-done:
		t.Fatalf("iissd exited (%v) without waiting for STUBBORN's stop_timeout:\n%s", err, stderr.String())
	case <-time.After(time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("forced exit: %v, want status 1", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the second SIGTERM did not end iissd:\n%s", stderr.String())
	}
	wantContains(t, "iissd's stderr", stderr.String(), "iissd: second signal (terminated): exiting now; the supervised services are killed",
		`msg="second signal: killing the supervised services and exiting now"`)
	waitNoPIDs(t, tag)
}

// Point 9: iisctl and iissd built from one tree report the same version.
func TestE2EVersionsAgree(t *testing.T) {
	t.Parallel()
	ctl := iisctlBin(t)
	iissdBin := filepath.Join(t.TempDir(), "iissd")
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	if b, err := exec.Command(goBin, "build", "-o", iissdBin, "github.com/iisctl/iisctl/cmd/iissd").CombinedOutput(); err != nil {
		t.Fatalf("go build iissd: %v\n%s", err, b)
	}
	a := runBin(t, ctl, nil, "version")
	b := runBin(t, iissdBin, nil, "--version")
	c := runBin(t, ctl, nil, "--version")
	va, okA := strings.CutPrefix(a.stdout, "iisctl ")
	vb, okB := strings.CutPrefix(b.stdout, "iissd ")
	if !okA || !okB || va != vb || c.stdout != a.stdout || va == "\n" {
		t.Fatalf("versions differ: iisctl version %q, iissd --version %q, iisctl --version %q", a.stdout, b.stdout, c.stdout)
	}
}

// Point 1: the real binaries take flags anywhere, refuse unknown
// commands with a suggestion, and prefix errors once.
func TestE2ECommandLine(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	env := []string{"IISCTL_PASSWORD=" + testAdminPass}
	r := cli(t, env, "-u", testAdmin, "status", d.Target())
	wantCode(t, r, 0)
	if want := demoRows(d.Target(), "Running", "Running", "Stopped"); r.stdout != want {
		t.Fatalf("iisctl -u admin status:\n%s", r)
	}
	r = cli(t, env, "-u", testAdmin, "stauts", d.Target())
	wantCode(t, r, 2)
	if want := "iisctl: unknown command \"stauts\" for \"iisctl\"; did you mean \"status\"?\nRun 'iisctl help' for usage.\n"; r.stderr != want {
		t.Fatalf("typo:\n%s", r)
	}
	r = cli(t, env, "reset", d.Target(), "/BOGUS", "-u", testAdmin)
	wantCode(t, r, 2)
	if want := "iisctl: reset: unknown switch /BOGUS (see iisctl reset /?)\nRun 'iisctl help' for usage.\n"; r.stderr != want {
		t.Fatalf("reset usage error:\n%s", r)
	}
	r = cli(t, env, "help", "stop")
	wantCode(t, r, 0)
	wantContains(t, "iisctl help stop", r.stdout, "iisctl stop HOST[:PORT]... [flags]", "--no-force")
}

// Point 4: status --watch repeats until Ctrl-C, which ends it with 0.
func TestE2EStatusWatch(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	cmd := exec.Command(iisctlBin(t), "status", d.Target(), "-u", testAdmin, "--watch", "--interval", "200ms")
	cmd.Env = cleanEnv("IISCTL_PASSWORD=" + testAdminPass)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done, exited := make(chan error, 1), make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	rows := demoRows(d.Target(), "Running", "Running", "Stopped")
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(out.String(), rows) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no two rounds:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !regexp.MustCompile(`(?m)^# \d\d:\d\d:\d\d\n`).MatchString(out.String()) {
		t.Fatalf("no time line between rounds:\n%s", out.String())
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("status --watch after Ctrl-C: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-C did not end status --watch")
	}
}
