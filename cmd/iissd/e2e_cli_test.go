package main

// End-to-end: the real iisctl binary against in-process iissd demos, for
// every IIisServiceControl method and error path.

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ntlm"
)

// demoRows is `iisctl status` of a fresh demo, tab-separated.
func demoRows(target string, was, w3, ftp string) string {
	return fmt.Sprintf("%[1]s\tWAS\tWindows Process Activation Service\t%[2]s\t0\n"+
		"%[1]s\tW3SVC\tWorld Wide Web Publishing Service\t%[3]s\t0\n"+
		"%[1]s\tFTPSVC\tMicrosoft FTP Service\t%[4]s\t0\n", target, was, w3, ftp)
}

// actionRow matches one tab-separated row of an action command.
func actionRow(target, result, detail string) *regexp.Regexp {
	return regexp.MustCompile("(?m)^" + regexp.QuoteMeta(target+"\t"+result+"\t"+detail) + "\t[0-9.]+(ns|µs|ms|s|m[0-9.]+s)\n")
}

func wantRow(t testing.TB, r cliResult, re *regexp.Regexp) {
	t.Helper()
	if !re.MatchString(r.stdout) {
		t.Fatalf("stdout does not match %q\n%s", re, r)
	}
}

func TestE2EStatus(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})

	t.Run("tsv", func(t *testing.T) {
		r := admin(t, "status", d.Target())
		wantCode(t, r, 0)
		if want := demoRows(d.Target(), "Running", "Running", "Stopped"); r.stdout != want {
			t.Fatalf("stdout:\n%q\nwant\n%q\n%s", r.stdout, want, r)
		}
		if r.stderr != "" {
			t.Fatalf("stderr not empty\n%s", r)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := admin(t, "status", d.Target(), "--json")
		wantCode(t, r, 0)
		var raw []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		if len(raw) != 1 {
			t.Fatalf("want one host\n%s", r)
		}
		hostKeys := []string{"action", "duration_ms", "error", "exit_code", "host", "hresult", "ok", "port", "services", "step"}
		svcKeys := []string{"checkpoint", "controls_accepted", "display_name", "name", "service_specific_exit_code",
			"state", "state_code", "type", "wait_hint_ms", "win32_exit_code"}
		for _, k := range hostKeys {
			if _, ok := raw[0][k]; !ok {
				t.Fatalf("field %q missing\n%s", k, r)
			}
		}
		svcs := raw[0]["services"].([]any)
		if len(svcs) != 3 {
			t.Fatalf("want 3 services\n%s", r)
		}
		for _, s := range svcs {
			for _, k := range svcKeys {
				if _, ok := s.(map[string]any)[k]; !ok {
					t.Fatalf("service field %q missing\n%s", k, r)
				}
			}
		}
		j := parseJSON(t, r)[0]
		_, port, _ := net.SplitHostPort(d.Act.String())
		if j.Host != "127.0.0.1" || fmt.Sprint(j.Port) != port || j.Action != "status" || !j.OK || j.ExitCode != 0 ||
			j.HRESULT != "0x00000000" || j.Error != "" || j.Step != "" || j.DurationMS < 0 {
			t.Fatalf("unexpected host fields %+v\n%s", j, r)
		}
		got := []string{}
		for _, s := range j.Services {
			got = append(got, fmt.Sprintf("%s/%s/%s/%d", s.Name, s.DisplayName, s.State, s.StateCode))
		}
		want := []string{"WAS/Windows Process Activation Service/Running/4",
			"W3SVC/World Wide Web Publishing Service/Running/4", "FTPSVC/Microsoft FTP Service/Stopped/1"}
		if !slices.Equal(got, want) {
			t.Fatalf("services %q, want %q", got, want)
		}
		svc := svcs[0].(map[string]any)
		if svc["type"] != float64(0x10) || svc["controls_accepted"] == float64(0) {
			t.Fatalf("WAS: type %v controls_accepted %v, want 16 (own process) and non-zero", svc["type"], svc["controls_accepted"])
		}
	})
}

func TestE2EStopStartAudit(t *testing.T) {
	t.Parallel()
	var tag string
	d := startReady(t, demoOptions{Edit: func(c *Config) { tag = tagServices(c) }})
	if n := len(taggedPIDs(tag)); n != 2 {
		t.Fatalf("%d service processes before stop, want 2 (WAS, W3SVC)", n)
	}

	r := admin(t, "stop", d.Target())
	wantCode(t, r, 0)
	wantRow(t, r, actionRow(d.Target(), "ok", "Internet services successfully stopped"))
	d.waitSite(t, false)
	waitNoPIDs(t, tag)
	if got := states(t, d); got["WAS"] != "Stopped" || got["W3SVC"] != "Stopped" {
		t.Fatalf("after stop: %v", got)
	}

	r = admin(t, "start", d.Target(), "--timeout", "30")
	wantCode(t, r, 0)
	wantRow(t, r, actionRow(d.Target(), "ok", "Internet services successfully started"))
	d.waitSite(t, true)
	if got := states(t, d); got["WAS"] != "Running" || got["W3SVC"] != "Running" || got["FTPSVC"] != "Stopped" {
		t.Fatalf("after start: %v", got)
	}

	// One audit record per call, with who, from where, what, the result
	// and how long it took.
	var recs []map[string]any
	for _, a := range auditLines(t, d) {
		if a["method"] == "Stop" || a["method"] == "Start" {
			recs = append(recs, a)
		}
	}
	if len(recs) != 2 || recs[0]["method"] != "Stop" || recs[1]["method"] != "Start" {
		t.Fatalf("audit records %v, want Stop then Start\n%s", recs, d.Logs())
	}
	for _, a := range recs {
		if a["user"] != testAdmin {
			t.Fatalf("audit user %v, want %s: %v", a["user"], testAdmin, a)
		}
		if addr, _ := a["addr"].(string); !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Fatalf("audit addr %v: %v", a["addr"], a)
		}
		if a["result"] != "S_OK" || a["hresult"] != "0x00000000" {
			t.Fatalf("audit result: %v", a)
		}
		if _, ok := a["duration_ms"].(float64); !ok {
			t.Fatalf("audit duration_ms missing: %v", a)
		}
	}
	if recs[0]["timeout_ms"] != float64(60000) || recs[0]["force"] != true {
		t.Fatalf("stop audit: timeout_ms %v force %v, want iisctl's defaults 60000 and true", recs[0]["timeout_ms"], recs[0]["force"])
	}
	if recs[1]["timeout_ms"] != float64(30000) {
		t.Fatalf("start audit: timeout_ms %v, want 30000 (--timeout 30)", recs[1]["timeout_ms"])
	}
}

// stubborn is a service that ignores SIGTERM and would get SIGKILL only
// after a minute.
func stubborn(c *Config) {
	c.Services = append(c.Services, ServiceConfig{
		Name: "STUBBORN", DisplayName: "Stubborn Service", Start: "auto",
		Command:     []string{"/bin/sh", "-c", `trap "" TERM; while :; do sleep 1; done`},
		StopTimeout: duration{time.Minute},
	})
}

func TestE2EStopTimeoutAndForce(t *testing.T) {
	t.Parallel()
	var tag string
	d := startReady(t, demoOptions{Edit: func(c *Config) { stubborn(c); tag = tagServices(c) }})
	waitStates(t, d, map[string]string{"STUBBORN": "Running", "W3SVC": "Running", "WAS": "Running"})

	r := admin(t, "stop", d.Target(), "--timeout", "1s", "--no-force")
	wantCode(t, r, 5)
	wantRow(t, r, actionRow(d.Target(), "failed", "The service did not respond to the start or control request in a timely fashion (0x8007041D)"))
	wantContains(t, "stderr", r.stderr, "hint: the services on "+d.Target()+" did not finish within 1s; allow more with --timeout")
	if r.dur > 20*time.Second {
		t.Fatalf("stop --timeout 1s took %v", r.dur)
	}
	if got := states(t, d)["STUBBORN"]; got == "Stopped" {
		t.Fatalf("STUBBORN stopped without force")
	}
	if len(taggedPIDs(tag)) == 0 {
		t.Fatal("STUBBORN's processes are gone without force")
	}

	r = admin(t, "stop", d.Target(), "--timeout", "1s")
	wantCode(t, r, 0)
	wantRow(t, r, actionRow(d.Target(), "ok", "Internet services successfully stopped"))
	if r.dur > 20*time.Second {
		t.Fatalf("forced stop took %v", r.dur)
	}
	waitNoPIDs(t, tag)
	d.waitSite(t, false)
	waitStates(t, d, map[string]string{"STUBBORN": "Stopped", "W3SVC": "Stopped", "WAS": "Stopped"})
}

func TestE2EStartTimeout(t *testing.T) {
	t.Parallel()
	closed := freeAddr(t)
	d := startReady(t, demoOptions{Edit: func(c *Config) {
		c.Services = append(c.Services, ServiceConfig{
			Name: "NEVERUP", DisplayName: "Never Up", Start: "auto", StartCheck: closed,
			Command: []string{"/bin/sh", "-c", "while :; do sleep 1; done"},
		})
	}})
	r := admin(t, "start", d.Target(), "--timeout", "1")
	wantCode(t, r, 5)
	wantRow(t, r, actionRow(d.Target(), "failed", "The service did not respond to the start or control request in a timely fashion (0x8007041D)"))
	wantContains(t, "stderr", r.stderr, "did not finish within 1s; allow more with --timeout")
	if r.dur > 20*time.Second {
		t.Fatalf("start --timeout 1 took %v", r.dur)
	}
	if got := states(t, d); got["NEVERUP"] != "Start Pending" && got["NEVERUP"] != "Stopped" || got["W3SVC"] != "Running" {
		t.Fatalf("after the start timeout: %v", got)
	}

	// restart: the stop succeeds, the start is the step that times out.
	r = admin(t, "restart", d.Target(), "--timeout", "1", "--json")
	wantCode(t, r, 5)
	if j := parseJSON(t, r)[0]; j.OK || j.Step != "start" || j.HRESULT != "0x8007041D" || j.ExitCode != 5 {
		t.Fatalf("restart --json: %+v\n%s", j, r)
	}
	wantContains(t, "stderr", r.stderr, "did not finish within 1s")

	// Stop the starting service now rather than in the harness's cleanup.
	wantCode(t, admin(t, "kill", d.Target()), 0)
}

func TestE2ERestart(t *testing.T) {
	t.Parallel()
	var tag string
	d := startReady(t, demoOptions{Edit: func(c *Config) { tag = tagServices(c) }})
	before := taggedPIDs(tag)
	if len(before) != 2 {
		t.Fatalf("%d processes, want 2", len(before))
	}

	r := admin(t, "restart", d.Target())
	wantCode(t, r, 0)
	wantRow(t, r, actionRow(d.Target(), "ok", "Internet services successfully restarted"))
	d.waitSite(t, true)
	after := taggedPIDs(tag)
	if len(after) != 2 {
		t.Fatalf("%d processes after restart, want 2", len(after))
	}
	for _, p := range before {
		if slices.Contains(after, p) {
			t.Fatalf("process %d survived the restart (before %v, after %v)", p, before, after)
		}
	}
	var methods []string
	for _, a := range auditLines(t, d) {
		methods = append(methods, fmt.Sprintf("%v:%v:%v", a["method"], a["timeout_ms"], a["result"]))
	}
	// iisreset's restart: stop with 20 s, then start with 60 s.
	if want := []string{"Stop:20000:S_OK", "Start:60000:S_OK"}; !slices.Equal(methods, want) {
		t.Fatalf("audit %q, want %q", methods, want)
	}
}

func TestE2EKill(t *testing.T) {
	t.Parallel()
	var tag string
	d := startReady(t, demoOptions{Edit: func(c *Config) { tag = tagServices(c) }})
	if len(taggedPIDs(tag)) != 2 {
		t.Fatalf("want 2 service processes, have %v", taggedPIDs(tag))
	}
	r := admin(t, "kill", d.Target())
	wantCode(t, r, 0)
	wantRow(t, r, actionRow(d.Target(), "ok", "Internet services successfully killed"))
	waitNoPIDs(t, tag)
	d.waitSite(t, false)
	if got := states(t, d); got["WAS"] != "Stopped" || got["W3SVC"] != "Stopped" {
		t.Fatalf("after kill: %v", got)
	}
	// The services can be started again.
	wantCode(t, admin(t, "start", d.Target()), 0)
	d.waitSite(t, true)
}

func TestE2ERebootNotImplemented(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	r := admin(t, "reboot", d.Target())
	wantCode(t, r, 7)
	wantRow(t, r, actionRow(d.Target(), "failed", "Not implemented (0x80004001)"))
	wantContains(t, "stderr", r.stderr, "does not implement this call", "[control] reboot = true")
	j := parseJSON(t, admin(t, "reboot", d.Target(), "--json"))
	if j[0].HRESULT != "0x80004001" || j[0].ExitCode != 7 || j[0].OK {
		t.Fatalf("reboot --json: %+v", j[0])
	}
	d.waitSite(t, true) // nothing happened
}

func TestE2ERebootEnabled(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "rebooted")
	d := startReady(t, demoOptions{Edit: func(c *Config) {
		c.Control.Reboot = true
		c.Control.RebootCommand = []string{"/bin/sh", "-c", "echo rebooted > " + marker}
	}})
	r := admin(t, "reboot", d.Target(), "--timeout", "2s")
	wantCode(t, r, 0)
	wantRow(t, r, actionRow(d.Target(), "ok", "Reboot of the computer was initiated"))
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the reboot command ran before the grace period")
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(marker); err == nil && string(b) == "rebooted\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reboot command did not run\n%s", d.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantContains(t, "iissd's log", d.Logs(), "reboot requested")
}

func TestE2EDisabled(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	toggle := func(verb string) {
		t.Helper()
		var out, errOut strings.Builder
		if code := run([]string{verb, "--state", d.State}, strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("iissd %s: exit %d\n%s%s", verb, code, out.String(), errOut.String())
		}
		wantContains(t, "iissd "+verb, out.String(), "now "+verb+"d")
	}
	toggle("disable")
	for _, op := range []string{"status", "start", "stop", "restart", "kill", "reboot"} {
		r := admin(t, op, d.Target())
		wantCode(t, r, 6)
		wantContains(t, "stderr", r.stderr, "hint: remote control is disabled on "+d.Target()+"; run iisreset /enable")
		if op == "status" {
			if want := d.Target() + "\t-\tRemote control of the Internet services is disabled on the computer (0x800710D5)\tfailed\t-\n"; r.stdout != want {
				t.Fatalf("status: want the failed row %q\n%s", want, r)
			}
			continue
		}
		detail := "Remote control of the Internet services is disabled on the computer (0x800710D5)"
		if op == "restart" {
			detail = "stop: " + detail
		}
		wantRow(t, r, actionRow(d.Target(), "failed", detail))
	}
	j := parseJSON(t, admin(t, "restart", d.Target(), "--json"))
	if j[0].HRESULT != "0x800710D5" || j[0].ExitCode != 6 || j[0].Step != "stop" {
		t.Fatalf("restart --json while disabled: %+v", j[0])
	}
	r := admin(t, "reset", d.Target(), "/STATUS")
	wantCode(t, r, 6)
	wantContains(t, "iisreset output", r.stdout, "(2147946709, 800710d5)")
	d.waitSite(t, true) // nothing was stopped

	toggle("enable")
	r = admin(t, "status", d.Target())
	wantCode(t, r, 0)
	if want := demoRows(d.Target(), "Running", "Running", "Stopped"); r.stdout != want {
		t.Fatalf("status after enable:\n%s", r)
	}
	wantCode(t, admin(t, "stop", d.Target()), 0)
	d.waitSite(t, false)
}

func TestE2EAuthFailures(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	logonHint := "hint: " + d.Target() + " refused the logon: check the user name"

	t.Run("not-admin", func(t *testing.T) {
		r := cli(t, []string{"IISCTL_PASSWORD=" + testUserPass}, "stop", d.Target(), "-u", testUser)
		wantCode(t, r, 3)
		wantRow(t, r, actionRow(d.Target(), "failed", "Access denied (0x80070005)"))
		wantContains(t, "stderr", r.stderr, "accepted the logon but refused the call", "admin role in iissd's users file")
	})
	t.Run("wrong-password", func(t *testing.T) {
		r := cli(t, []string{"IISCTL_PASSWORD=not-the-password"}, "stop", d.Target(), "-u", testAdmin)
		wantCode(t, r, 3)
		wantContains(t, "stderr", r.stderr, logonHint)
	})
	t.Run("unknown-user", func(t *testing.T) {
		r := cli(t, []string{"IISCTL_PASSWORD=" + testAdminPass}, "status", d.Target(), "-u", "nobody")
		wantCode(t, r, 3)
		wantContains(t, "stdout", r.stdout, d.Target()+"\t-\tLogon failure: unknown user name or bad password (0x8007052E)\tfailed\t-\n")
		wantContains(t, "stderr", r.stderr, logonHint)
	})
	t.Run("json", func(t *testing.T) {
		r := cli(t, []string{"IISCTL_PASSWORD=x"}, "status", d.Target(), "-u", "nobody", "--json")
		wantCode(t, r, 3)
		if j := parseJSON(t, r)[0]; j.OK || j.ExitCode != 3 || j.HRESULT != "0x8007052E" || len(j.Services) != 0 {
			t.Fatalf("%+v", j)
		}
	})
	// Nothing was stopped by anyone.
	d.waitSite(t, true)
	for _, a := range auditLines(t, d) {
		if a["result"] == "S_OK" {
			t.Fatalf("a refused caller's call succeeded: %v", a)
		}
	}
}

func TestE2EUnreachable(t *testing.T) {
	t.Parallel()
	dead := freeAddr(t)
	_, port, _ := net.SplitHostPort(dead)
	r := admin(t, "stop", dead, "--dial-timeout", "5s")
	wantCode(t, r, 4)
	wantRow(t, r, actionRow(dead, "failed", "The RPC server is unavailable: connection refused (0x800706BA)"))
	wantContains(t, "stderr", r.stderr, "could not reach 127.0.0.1 on TCP port "+port, "firewalls allow port "+port)
	if r.dur > 20*time.Second {
		t.Fatalf("took %v", r.dur)
	}
}

func TestE2EAuthOptions(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	want := demoRows(d.Target(), "Running", "Running", "Stopped")

	t.Run("spnego", func(t *testing.T) {
		r := admin(t, "status", d.Target(), "--auth", "spnego")
		wantCode(t, r, 0)
		if r.stdout != want {
			t.Fatalf("%s", r)
		}
		wantContains(t, "iissd's log", d.Logs(), "auth_type=9 auth_level=6 peer="+testAdmin)
	})
	t.Run("hashes", func(t *testing.T) {
		h := ntlm.NTHash(testAdminPass)
		nt := hex.EncodeToString(h[:])
		for _, arg := range []string{nt, "aad3b435b51404eeaad3b435b51404ee:" + nt} {
			r := cli(t, nil, "status", d.Target(), "-u", testAdmin, "--hashes", arg)
			wantCode(t, r, 0)
			if r.stdout != want {
				t.Fatalf("%s", r)
			}
		}
		bad := ntlm.NTHash("wrong")
		r := cli(t, nil, "status", d.Target(), "-u", testAdmin, "--hashes", hex.EncodeToString(bad[:]))
		wantCode(t, r, 3)
	})
	t.Run("password-sources", func(t *testing.T) {
		r := runBinStdin(t, iisctlBin(t), testAdminPass+"\n", nil, "status", d.Target(), "-u", testAdmin, "--password-stdin")
		wantCode(t, r, 0)
		if r.stdout != want {
			t.Fatalf("%s", r)
		}
		r = cli(t, nil, "status", d.Target(), "-u", testAdmin, "-p", testAdminPass)
		wantCode(t, r, 0)
		wantContains(t, "stderr", r.stderr, "visible to other users")
		if strings.Contains(r.stderr+r.stdout, testAdminPass) {
			t.Fatalf("the password was printed\n%s", r)
		}
		// IISCTL_USER names the account when -u is absent.
		r = cli(t, []string{"IISCTL_USER=" + testAdmin, "IISCTL_PASSWORD=" + testAdminPass}, "status", d.Target())
		wantCode(t, r, 0)
		// Two secrets is a usage error: nothing attempted.
		r = cli(t, []string{"IISCTL_PASSWORD=" + testAdminPass}, "status", d.Target(), "-u", testAdmin, "-p", "x", "--hashes", "00")
		wantCode(t, r, 2)
	})
	t.Run("integrity-client-privacy-server", func(t *testing.T) {
		// The client raises its level to the server's authnHint, as
		// Windows does (max(application level, authnHint), [MS-DCOM]
		// 2.2.22.2.8.1, 3.2.4.2): the object is called at privacy.
		r := admin(t, "start", d.Target(), "--auth-level", "integrity")
		wantCode(t, r, 0)
		if lvl := objectCallLevel(t, d, "Start"); lvl != "6" {
			t.Fatalf("the object call ran at level %s, want 6 (privacy)\n%s", lvl, d.Logs())
		}
	})
	t.Run("connect-refused", func(t *testing.T) {
		r := admin(t, "status", d.Target(), "--auth-level", "connect")
		wantCode(t, r, 2) // a usage error: nothing is attempted
		wantContains(t, "stderr", r.stderr, "DCOM activation needs at least integrity")
	})
}

// objectCallLevel is the authentication level of the connection that
// made the last audited call of method.
func objectCallLevel(t testing.TB, d *demoServer, method string) string {
	t.Helper()
	var addr string
	for _, a := range auditLines(t, d) {
		if a["method"] == method {
			addr, _ = a["addr"].(string)
		}
	}
	if addr == "" {
		t.Fatalf("no audit record of %s\n%s", method, d.Logs())
	}
	m := regexp.MustCompile(`rpc: authenticated" remote=` + regexp.QuoteMeta(addr) + ` .*auth_level=(\d)`).FindStringSubmatch(d.Logs())
	if m == nil {
		t.Fatalf("no authentication of %s in the logs\n%s", addr, d.Logs())
	}
	return m[1]
}

func TestE2EIntegrityServer(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{Edit: func(c *Config) { c.Security.MinAuthLevel = "integrity" }})
	r := admin(t, "start", d.Target(), "--auth-level", "integrity")
	wantCode(t, r, 0)
	if lvl := objectCallLevel(t, d, "Start"); lvl != "5" {
		t.Fatalf("the object call ran at level %s, want 5 (integrity)", lvl)
	}
	// privacy is still welcome.
	wantCode(t, admin(t, "kill", d.Target()), 0)
	if lvl := objectCallLevel(t, d, "Kill"); lvl != "6" {
		t.Fatalf("the object call ran at level %s, want 6 (privacy)", lvl)
	}
}

func TestE2EFleet(t *testing.T) {
	t.Parallel()
	a := startReady(t, demoOptions{})
	b := startReady(t, demoOptions{})
	dead := freeAddr(t)

	// Results come in the order given, whatever finishes first.
	r := admin(t, "status", b.Target(), dead, a.Target())
	wantCode(t, r, 4)
	// A failed host keeps its place in the table (issue 14, point 8).
	if want := demoRows(b.Target(), "Running", "Running", "Stopped") + dead + "\t-\tThe RPC server is unavailable: connection refused (0x800706BA)\tfailed\t-\n" +
		demoRows(a.Target(), "Running", "Running", "Stopped"); r.stdout != want {
		t.Fatalf("stdout:\n%s\nwant\n%s", r, want)
	}
	if strings.Contains(r.stderr, a.Target()) || strings.Contains(r.stderr, b.Target()) {
		t.Fatalf("stderr mentions a healthy host\n%s", r)
	}

	// Mixed results: unreachable (4) beats disabled (6).
	if err := mustDisable(b.State); err != nil {
		t.Fatal(err)
	}
	r = admin(t, "stop", a.Target(), dead, b.Target(), "--json", "--parallel", "2")
	wantCode(t, r, 4)
	j := parseJSON(t, r)
	got := []string{}
	for _, h := range j {
		got = append(got, fmt.Sprintf("%s:%d %v %d %s", h.Host, h.Port, h.OK, h.ExitCode, h.HRESULT))
	}
	hp := func(s string) string { h, p, _ := net.SplitHostPort(s); return h + ":" + p }
	wantJ := []string{hp(a.Act.String()) + " true 0 0x00000000", hp(dead) + " false 4 0x800706BA", hp(b.Act.String()) + " false 6 0x800710D5"}
	if !slices.Equal(got, wantJ) {
		t.Fatalf("results %q, want %q\n%s", got, wantJ, r)
	}
	a.waitSite(t, false)
	b.waitSite(t, true)

	// Disabled (6) beats not implemented (7).
	r = admin(t, "reboot", a.Target(), b.Target())
	wantCode(t, r, 6)
	wantRow(t, r, actionRow(a.Target(), "failed", "Not implemented (0x80004001)"))

	// Authentication (3) beats everything.
	r = cli(t, []string{"IISCTL_PASSWORD=" + testUserPass}, "status", dead, a.Target(), b.Target(), "-u", testUser)
	wantCode(t, r, 3)
}

func mustDisable(state string) error {
	var out, errOut strings.Builder
	if code := run([]string{"disable", "--state", state}, strings.NewReader(""), &out, &errOut); code != 0 {
		return fmt.Errorf("iissd disable: exit %d: %s", code, errOut.String())
	}
	return nil
}

func TestE2EIISReset(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	statusLines := func(st string) string {
		return "Status for Windows Process Activation Service ( WAS ) : " + st + "\n" +
			"Status for World Wide Web Publishing Service ( W3SVC ) : " + st + "\n" +
			"Status for Microsoft FTP Service ( FTPSVC ) : Stopped\n"
	}

	r := admin(t, "reset", d.Target(), "/STATUS")
	wantCode(t, r, 0)
	if r.stdout != statusLines("Running") {
		t.Fatalf("reset /STATUS\n%s", r)
	}

	r = cli(t, []string{"IISCTL_PASSWORD=" + testAdminPass}, "reset", "-u", testAdmin, d.Target(), "/RESTART")
	wantCode(t, r, 0)
	want := "Attempting stop...\nInternet services successfully stopped\nAttempting start...\nInternet services successfully restarted\n"
	if r.stdout != want {
		t.Fatalf("reset /RESTART: stdout\n%q\nwant\n%q\n%s", r.stdout, want, r)
	}
	d.waitSite(t, true)

	// The same binary, invoked as iisreset.
	link := filepath.Join(t.TempDir(), "iisreset")
	if err := os.Symlink(iisctlBin(t), link); err != nil {
		t.Fatal(err)
	}
	env := []string{"IISCTL_PASSWORD=" + testAdminPass}
	r = runBin(t, link, env, "-u", testAdmin, d.Target(), "/status")
	wantCode(t, r, 0)
	if r.stdout != statusLines("Running") {
		t.Fatalf("iisreset /status\n%s", r)
	}
	r = runBin(t, link, env, "-u", testAdmin, d.Target(), "/STOP", "/TIMEOUT:10")
	wantCode(t, r, 0)
	if want := "Attempting stop...\nInternet services successfully stopped\n"; r.stdout != want {
		t.Fatalf("iisreset /STOP\n%s", r)
	}
	d.waitSite(t, false)
	r = runBin(t, link, env, "-u", testAdmin, d.Target(), "/status")
	if r.stdout != statusLines("Stopped") {
		t.Fatalf("iisreset /status after /STOP\n%s", r)
	}
	r = runBin(t, link, env, "-u", testAdmin, d.Target(), "/START")
	wantCode(t, r, 0)
	if want := "Attempting start...\nInternet services successfully started\n"; r.stdout != want {
		t.Fatalf("iisreset /START\n%s", r)
	}
	d.waitSite(t, true)

	// Failures keep iisreset's wording and iisctl's exit codes.
	dead := freeAddr(t)
	r = runBin(t, link, env, "-u", testAdmin, dead, "/STATUS")
	wantCode(t, r, 4)
	if want := "Status attempt failed.\nThe RPC server is unavailable: connection refused. (2147944122, 800706ba)\n"; r.stdout != want {
		t.Fatalf("iisreset /STATUS of a closed port\n%s", r)
	}
	wantContains(t, "stderr", r.stderr, "hint: could not reach")
	r = runBin(t, link, env, "-u", testAdmin, d.Target(), "/REBOOT")
	wantCode(t, r, 7)
	wantContains(t, "stdout", r.stdout, "(2147500033, 80004001)")
}

func TestE2EConcurrentStatus(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	want := demoRows(d.Target(), "Running", "Running", "Stopped")
	var wg sync.WaitGroup
	results := make([]cliResult, 8)
	for i := range results {
		wg.Go(func() { results[i] = admin(t, "status", d.Target()) })
	}
	wg.Wait()
	for _, r := range results {
		if r.code != 0 || r.stdout != want {
			t.Fatalf("concurrent status:\n%s\n%s", r, d.Logs())
		}
	}

	// State-changing calls are serialized on the server: concurrent
	// restarts all succeed, and the services end up running.
	restarts := make([]cliResult, 3)
	for i := range restarts {
		wg.Go(func() { restarts[i] = admin(t, "restart", d.Target()) })
	}
	wg.Wait()
	for _, r := range restarts {
		if r.code != 0 {
			t.Fatalf("concurrent restart:\n%s\n%s", r, d.Logs())
		}
	}
	d.waitSite(t, true)
	waitStates(t, d, map[string]string{"WAS": "Running", "W3SVC": "Running"})
	if n := len(auditLines(t, d)); n != 6 {
		t.Fatalf("%d audit records, want 6 (3 × Stop and Start)", n)
	}
}
