package main

// End-to-end helpers: the real iisctl binary, built once per test binary,
// run against in-process iissd demos (harness_test.go).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// cliTimeout bounds every iisctl invocation.
const cliTimeout = 90 * time.Second

var (
	iisctlOnce sync.Once
	iisctlPath string
	iisctlErr  error
)

// iisctlBin builds github.com/iisctl/iisctl/cmd/iisctl once per test
// binary and returns its path; TestMain removes it at the end.
func iisctlBin(t testing.TB) string {
	t.Helper()
	iisctlOnce.Do(func() {
		dir, err := os.MkdirTemp("", fmt.Sprintf("iisctl-e2e-%d-", os.Getpid()))
		if err != nil {
			iisctlErr = err
			return
		}
		goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out := filepath.Join(dir, "iisctl")
		cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "github.com/iisctl/iisctl/cmd/iisctl")
		if b, err := cmd.CombinedOutput(); err != nil {
			iisctlErr = fmt.Errorf("go build iisctl: %v\n%s", err, b)
			return
		}
		iisctlPath = out
	})
	if iisctlErr != nil {
		t.Fatalf("cannot build the iisctl binary: %v", iisctlErr)
	}
	return iisctlPath
}

// cliResult is one iisctl run.
type cliResult struct {
	args   []string
	stdout string
	stderr string
	code   int
	dur    time.Duration
}

func (r cliResult) String() string {
	return fmt.Sprintf("iisctl %s\nexit %d after %v\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.dur, r.stdout, r.stderr)
}

// cleanEnv is the environment without any IISCTL_ variable of the caller.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IISCTL_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// runBin runs bin (iisctl or a link to it) with args and env, bounded,
// stdin empty.
func runBin(t testing.TB, bin string, env []string, args ...string) cliResult {
	t.Helper()
	return runBinStdin(t, bin, "", env, args...)
}

func runBinStdin(t testing.TB, bin, stdin string, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv(env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := cliResult{args: args, stdout: stdout.String(), stderr: stderr.String(), dur: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("iisctl did not finish within %v\n%s", cliTimeout, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running iisctl: %v", err)
	}
	return r
}

// cli runs iisctl with env (IISCTL_PASSWORD and so on).
func cli(t testing.TB, env []string, args ...string) cliResult {
	t.Helper()
	return runBin(t, iisctlBin(t), env, args...)
}

// admin runs iisctl as the harness administrator (password in the
// environment, -u after the arguments: flags may follow the hosts).
func admin(t testing.TB, args ...string) cliResult {
	t.Helper()
	return cli(t, []string{"IISCTL_PASSWORD=" + testAdminPass}, append(args, "-u", testAdmin)...)
}

func wantCode(t testing.TB, r cliResult, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\n%s", r.code, code, r)
	}
}

func wantContains(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// jsonResult is iisctl's --json element (doc.go).
type jsonResult struct {
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Action     string `json:"action"`
	OK         bool   `json:"ok"`
	ExitCode   int    `json:"exit_code"`
	HRESULT    string `json:"hresult"`
	Error      string `json:"error"`
	Step       string `json:"step"`
	DurationMS int64  `json:"duration_ms"`
	Mechanism  string `json:"mechanism"`
	Provider   string `json:"auth_provider"`
	Fallback   string `json:"kerberos_fallback"`
	Services   []struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
		State       string `json:"state"`
		StateCode   uint32 `json:"state_code"`
	} `json:"services"`
}

func parseJSON(t testing.TB, r cliResult) []jsonResult {
	t.Helper()
	var out []jsonResult
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not iisctl's JSON: %v\n%s", err, r)
	}
	return out
}

// states returns each service's state name from `iisctl status --json`.
func states(t testing.TB, d *demoServer) map[string]string {
	t.Helper()
	r := admin(t, "status", d.Target(), "--json")
	wantCode(t, r, 0)
	js := parseJSON(t, r)
	if len(js) != 1 {
		t.Fatalf("want one host in the JSON\n%s", r)
	}
	m := map[string]string{}
	for _, s := range js[0].Services {
		m[s.Name] = s.State
	}
	return m
}

// waitStates polls status (bounded) until every named service has the
// wanted state.
func waitStates(t testing.TB, d *demoServer, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got map[string]string
	for time.Now().Before(deadline) {
		got = states(t, d)
		ok := true
		for name, st := range want {
			if got[name] != st {
				ok = false
			}
		}
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("services %v, want %v\n%s", got, want, d.Logs())
}

// startReady is startDemo, then waits until status reports the automatic
// demo services Running: the site may accept connections a little before
// the supervisor's start check notices.
func startReady(t testing.TB, o demoOptions) *demoServer {
	t.Helper()
	d := startDemo(t, o)
	waitStates(t, d, map[string]string{"WAS": "Running", "W3SVC": "Running"})
	return d
}

// tagServices marks every service's environment with a tag unique to
// the test, so that its processes can be found in /proc.
func tagServices(cfg *Config) string {
	b := make([]byte, 8)
	rand.Read(b)
	tag := "IISCTL_E2E_TAG=" + hex.EncodeToString(b)
	for i := range cfg.Services {
		if cfg.Services[i].Env == nil {
			cfg.Services[i].Env = map[string]string{}
		}
		k, v, _ := strings.Cut(tag, "=")
		cfg.Services[i].Env[k] = v
	}
	return tag
}

// taggedPIDs lists the live (not zombie) processes whose environment
// holds tag.
func taggedPIDs(tag string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.Contains(append(env, 0), []byte(tag+"\x00")) {
			continue
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// waitNoPIDs waits (bounded) until no process carries tag.
func waitNoPIDs(t testing.TB, tag string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(taggedPIDs(tag)) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("processes still running: %v", taggedPIDs(tag))
}

// auditLines returns the audit records iissd logged so far.
func auditLines(t testing.TB, d *demoServer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(d.Logs(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad JSON line in the logs: %v\n%s", err, line)
		}
		if m["msg"] == "iiss audit" {
			out = append(out, m)
		}
	}
	return out
}
