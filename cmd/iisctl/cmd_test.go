package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/iisctl/iisctl/internal/iisreset"
)

func TestNewCmdAction(t *testing.T) {
	defConn := ConnOptions{DialTimeout: DefaultDialTimeout, AuthType: AuthNegotiate}
	cases := []struct {
		name string
		op   Op
		args []string
		want ActionOptions // IO, Dial, Getenv, Since and Op are not compared
	}{
		{"one host", OpStatus, []string{"web01"},
			ActionOptions{Targets: []Target{{"web01", 135}}, Conn: defConn, Parallel: 8}},
		{"flags after hosts", OpStop, []string{"web01", "[::1]:1135", "--json", "-u", `CORP\bob`, "--timeout", "90"},
			ActionOptions{Targets: []Target{{"web01", 135}, {"::1", 1135}}, Conn: defConn, Parallel: 8, JSON: true,
				Auth: AuthFlags{User: `CORP\bob`}, Timeout: 90 * time.Second, TimeoutSet: true}},
		{"all flags", OpRestart, []string{"--user=bob@corp", "-p", "pw", "--hashes", "aa", "--password-stdin",
			"--auth-level", "integrity", "--auth", "SPNEGO", "--dial-timeout", "3s", "--no-force", "--parallel", "2",
			"--timeout", "2m", "a", "--", "-b"},
			ActionOptions{Targets: []Target{{"a", 135}, {"-b", 135}}, Parallel: 2, NoForce: true,
				Timeout: 2 * time.Minute, TimeoutSet: true,
				Auth: AuthFlags{User: "bob@corp", Password: "pw", PasswordSet: true, PasswordStdin: true, Hashes: "aa"},
				Conn: ConnOptions{AuthLevel: AuthLevelIntegrity, AuthType: AuthSPNEGO, DialTimeout: 3 * time.Second}}},
		{"kill", OpKill, []string{"--auth-level", "PRIVACY", "h"},
			ActionOptions{Targets: []Target{{"h", 135}}, Parallel: 8,
				Conn: ConnOptions{AuthLevel: AuthLevelPrivacy, AuthType: AuthNegotiate, DialTimeout: DefaultDialTimeout}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got *ActionOptions
			err := newCmdAction(context.Background(), newEnv(false).f, c.op, c.args, func(o *ActionOptions) error {
				got = o
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got.IO, got.Dial, got.Getenv, got.Since = nil, nil, nil, nil
			c.want.Op, c.want.Interval = c.op, DefaultInterval
			if len(got.Inventory.Groups) == 0 {
				got.Inventory.Groups = nil
			}
			if c.op == OpRestart || c.op == OpStop || c.op == OpStart {
				c.want.Rolling = RollingOptions{HealthStatus: DefaultHealthStatus, HealthTimeout: DefaultHealthTimeout,
					HealthRetries: DefaultHealthRetries, HealthInterval: DefaultHealthInterval, MaxFailures: 1}
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}
}

func TestNewCmdActionErrors(t *testing.T) {
	cases := []struct {
		op   Op
		args []string
		msg  string
	}{
		{OpStatus, nil, "status: no host given (iisctl status HOST[:PORT]...)"},
		{OpKill, []string{"--timeout", "5", "h"}, "unknown flag: --timeout"},
		{OpStatus, []string{"--no-force", "h"}, "unknown flag: --no-force"},
		{OpStop, []string{"--timeout", "soon", "h"}, `invalid argument "soon" for "--timeout" flag: want a duration such as 90s or 2m, or a number of seconds`},
		{OpStop, []string{"--auth-level", "none", "h"}, `invalid argument "none" for "--auth-level" flag: want integrity or privacy`},
		{OpStop, []string{"--auth-level", "connect", "h"}, `invalid argument "connect" for "--auth-level" flag: DCOM activation needs at least integrity; want integrity or privacy`},
		{OpStop, []string{"--auth", "krb5", "h"}, `invalid argument "krb5" for "--auth" flag: want negotiate, kerberos, ntlm or spnego`},
		{OpStop, []string{"--parallel", "0", "h"}, "--parallel must be at least 1"},
		{OpStop, []string{"h:0"}, `host "h:0": port must be 1-65535`},
		{OpStop, []string{"[::1"}, `host "[::1": missing ']'`},
	}
	for _, c := range cases {
		err := newCmdAction(context.Background(), newEnv(false).f, c.op, c.args, func(*ActionOptions) error {
			t.Errorf("%v: runF called", c.args)
			return nil
		})
		var ue *usageError
		if !errors.As(err, &ue) || ue.msg != c.msg {
			t.Errorf("%s %q: %v, want usage error %q", c.op, c.args, err, c.msg)
		}
	}
}

func TestUsageExit(t *testing.T) {
	e := newEnv(false)
	if code := e.run(t, "iisctl", "stop"); code != ExitUsage {
		t.Errorf("exit %d", code)
	}
	check(t, "stderr", e.errOut.String(), "iisctl: stop: no host given (iisctl stop HOST[:PORT]...)\nRun 'iisctl help' for usage.\n")
	e = newEnv(false)
	if code := e.run(t, "iisctl"); code != ExitUsage || !strings.HasPrefix(e.errOut.String(), mainLong) || e.out.Len() != 0 {
		t.Errorf("no command: exit %d, stderr %q", code, e.errOut)
	}
	for argv, msg := range map[string]string{
		"stauts h":       `iisctl: unknown command "stauts" for "iisctl"; did you mean "status"?`,
		"bogus":          `iisctl: unknown command "bogus" for "iisctl"`,
		"status --bogus": "iisctl: unknown flag: --bogus",
		"reset /BOGUS":   "iisctl: reset: unknown switch /BOGUS (see iisctl reset /?)",
		"version x":      `iisctl: iisctl version takes no arguments (got "x")`,
	} {
		e := newEnv(false)
		if code := e.run(t, append([]string{"iisctl"}, strings.Fields(argv)...)...); code != ExitUsage {
			t.Errorf("%s: exit %d", argv, code)
		}
		check(t, argv, e.errOut.String(), msg+"\nRun 'iisctl help' for usage.\n")
	}
	e = newEnv(false)
	if code := e.run(t, "iisreset", "/BOGUS"); code != ExitUsage {
		t.Errorf("iisreset /BOGUS: exit %d", code)
	}
	check(t, "iisreset /BOGUS", e.errOut.String(), "iisreset: unknown switch /BOGUS (see iisreset /?)\nRun 'iisreset /?' for usage.\n")
}

// TestFlagsAnywhere: the credential and connection flags belong to the
// root, so they may come before the command, between the hosts or after.
func TestFlagsAnywhere(t *testing.T) {
	for _, argv := range [][]string{
		{"iisctl", "-u", `CORP\alice`, "--auth", "spnego", "status", "h"},
		{"iisctl", "status", "-u", `CORP\alice`, "h", "--auth=spnego"},
		{"iisctl", "--user", `CORP\alice`, "status", "h", "--auth", "spnego"},
	} {
		e := newEnv(false)
		e.hosts["h"] = newStub(true)
		if code := e.run(t, argv...); code != 0 {
			t.Fatalf("%q: exit %d\n%s", argv, code, e.errOut)
		}
		if len(e.creds) != 1 || e.creds[0].User != "alice" || e.creds[0].Domain != "CORP" || e.conns[0].AuthType != AuthSPNEGO {
			t.Errorf("%q: creds %+v conns %+v", argv, e.creds, e.conns)
		}
	}
}

// TestVerboseBeforeCommand: -v is verbose wherever it stands. Before the
// command it once fell to cobra's --version shorthand on the root, so
// `iisctl -v stop h` printed the version, exited 0 and stopped nothing.
func TestVerboseBeforeCommand(t *testing.T) {
	for _, argv := range [][]string{
		{"iisctl", "-v", "stop", "h", "-u", "alice"},
		{"iisctl", "stop", "-v", "h", "-u", "alice"},
		{"iisctl", "stop", "h", "--verbose", "-u", "alice"},
	} {
		e := newEnv(false)
		e.hosts["h"] = newStub(true)
		var got *ActionOptions
		err := cmdline.Execute(newRootCmd(context.Background(), e.f, &hooks{action: func(o *ActionOptions) error { got = o; return nil }}), argv[1:])
		if err != nil || got == nil || !got.Verbose || got.Op != OpStop || len(got.Targets) != 1 {
			t.Errorf("%q: %v, options %+v\n%s", argv, err, got, e.errOut)
		}
		if strings.Contains(e.out.String(), "v0.0.0-test") {
			t.Errorf("%q printed the version: %q", argv, e.out)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	cases := []struct {
		want string
		argv []string
	}{
		{exitCodesHelp, []string{"iisctl", "help", "exit-codes"}},
		{jsonHelp, []string{"iisctl", "help", "json"}},
		{iisresetHelp + resetFlagsHelp, []string{"iisctl", "help", "reset"}},
		{"iisctl v0.0.0-test\n", []string{"iisctl", "version"}},
		{"iisctl v0.0.0-test\n", []string{"iisctl", "--version"}},
	}
	for _, c := range cases {
		e := newEnv(false)
		if code := e.run(t, c.argv...); code != 0 {
			t.Errorf("%q: exit %d", c.argv, code)
		}
		check(t, strings.Join(c.argv, " "), e.out.String(), c.want)
	}
	// iisreset mode keeps its own help.
	for _, argv := range [][]string{{"iisctl", "reset", "/?"}, {"iisctl", "reset", "--help"}, {"iisreset", "-h"}} {
		e := newEnv(false)
		if code := e.run(t, argv...); code != 0 || !strings.HasPrefix(e.out.String(), iisreset.Usage) {
			t.Errorf("%q: exit %d\n%s", argv, code, e.out)
		}
	}
}

func TestTimeoutsReachServer(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"stop"}, "stop 1m0s force=true; close"},
		{[]string{"stop", "--no-force", "--timeout", "5"}, "stop 5s force=false; close"},
		{[]string{"start"}, "start 1m0s; close"},
		{[]string{"restart"}, "stop 20s force=true; start 1m0s; close"},
		{[]string{"restart", "--timeout", "7s"}, "stop 7s force=true; start 7s; close"},
		{[]string{"reboot"}, "reboot 0s force=true; close"},
		{[]string{"reboot", "--timeout", "30", "--no-force"}, "reboot 30s force=false; close"},
		{[]string{"kill"}, "kill; close"},
		{[]string{"status"}, "close"},
	}
	for _, c := range cases {
		e := newEnv(false)
		s := newStub(true)
		e.hosts["h"] = s
		e.run(t, append(append([]string{"iisctl"}, c.args...), "-u", "bob", "h")...)
		if s.Calls() != c.want {
			t.Errorf("%q: calls %q, want %q", c.args, s.Calls(), c.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	good := map[string]Target{
		"web01": {"web01", 135}, "web01:1135": {"web01", 1135}, `\\WEB01`: {"WEB01", 135},
		"10.0.0.1": {"10.0.0.1", 135}, "[fe80::1]:99": {"fe80::1", 99}, "[fe80::1]": {"fe80::1", 135},
		"fe80::1": {"fe80::1", 135},
	}
	for in, want := range good {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ":135", "h:x", "h:70000", "[::1]x", "[::1"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) succeeded", bad)
		}
	}
	if s := (Target{"::1", 1135}).String(); s != "[::1]:1135" {
		t.Errorf("String = %q", s)
	}
}
