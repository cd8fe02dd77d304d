package main

import (
	"context"
	"net"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/iisreset"
	"github.com/spf13/pflag"
)

func TestResetMode(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name   string
		argv   []string
		setup  func(e *env)
		out    string
		stderr string
		code   int
		calls  string // of host "h"
	}{
		{"argv0 status", []string{"/usr/local/bin/iisreset", "-u", "bob", "h", "/status"}, nil,
			"Status for Test Web Service ( web ) : Running\nStatus for Test Worker Service ( worker ) : Running\n" +
				"Status for Test On-Demand Service ( ondemand ) : Stopped\n", "", 0, "close"},
		{"subcommand stop", []string{"iisctl", "reset", "--user", "bob", `\\h`, "-STOP", "/timeout:5", "/NoForce"}, nil,
			"Attempting stop...\nInternet services successfully stopped\n", "", 0, "stop 5s force=false; close"},
		{"exe restart", []string{`C:\tools\IISRESET.EXE`, "-u", "bob", "--", "h"}, nil,
			"Attempting stop...\nInternet services successfully stopped\nAttempting start...\nInternet services successfully restarted\n",
			"", 0, "stop 20s force=true; start 1m0s; close"},
		{"unreachable", []string{"iisreset", "-u", "bob", "h"}, func(e *env) { e.dialErrs["h"] = refused },
			"Attempting stop...\nRestart attempt failed.\nThe RPC server is unavailable: connection refused. (2147944122, 800706ba)\n",
			"hint: could not reach h on TCP port 135 (DCOM activation): check the host is up and that firewalls allow port 135 " +
				"and the object's port (a dynamic port, 49152-65535 on Windows; iissd uses a fixed one when [listen] object is set in iissd.toml).\n",
			ExitUnreachable, ""},
		{"access denied, reboot on error", []string{"iisreset", "-u", "bob", "h", "/rebootonerror"},
			func(e *env) { e.hosts["h"].fail("stop", iiss.E_ACCESSDENIED) },
			"Attempting stop...\nRestart attempt failed.\n" + iisreset.AccessDeniedText + " (2147942405, 80070005)\n" +
				"Attempting reboot...\nReboot attempt failed.\nNot implemented (2147500033, 80004001)\n",
			"hint: h accepted the logon but refused the call: the account must be in the server's Administrators group " +
				"(or a domain administrator) on Windows, or have the admin role in iissd's users file.\n",
			ExitAuth, "stop 20s force=true; reboot 0s force=true; close"},
		{"start timeout", []string{"iisreset", "-u", "bob", "h", "/start", "/timeout:0"},
			func(e *env) { e.hosts["h"].HangStart(true) },
			"Attempting start...\nStart attempt failed.\nThe service did not respond to the start or control request in a timely fashion. (2147943453, 8007041d)\n",
			"hint: the services on h did not finish within 0s; allow more with /TIMEOUT (e.g. /TIMEOUT:120).\n",
			ExitTimeout, "start 0s; close"},
		{"disabled", []string{"iisreset", "-u", "bob", "h", "/status"},
			func(e *env) { e.hosts["h"].SetDisabled(true) },
			"Status attempt failed.\n" + "Remote control of the Internet services has been disabled on the computer. " +
				"Run iisreset /enable on that computer to allow it. (2147946709, 800710d5)\n",
			"hint: remote control is disabled on h; run iisreset /enable on that computer to allow it.\n", ExitDisabled, "close"},
		{"reboot not implemented", []string{"iisreset", "-u", "bob", "h", "/reboot"}, nil,
			"Attempting reboot...\nReboot attempt failed.\nNot implemented (2147500033, 80004001)\n",
			"hint: h does not implement this call: Windows answers E_NOTIMPL to Reboot; iissd reboots only with [control] reboot = true.\n",
			ExitNotImpl, "reboot 0s force=true; close"},
		{"help", []string{"iisreset", "/?"}, func(e *env) { delete(e.vars, EnvPassword) },
			iisreset.Usage + resetFlagsHelp, "", 0, ""},
		{"dash help", []string{"iisctl", "reset", "--help"}, nil, iisreset.Usage + resetFlagsHelp, "", 0, ""},
		{"disable remote", []string{"iisreset", "h", "/disable"}, nil,
			"The /ENABLE and /DISABLE switches work only on the local computer, where iissd runs.\n", "", ExitUsage, ""},
		{"bad switch", []string{"iisreset", "-u", "bob", "/bogus"}, nil,
			"", "iisreset: unknown switch /bogus (see iisreset /?)\nRun 'iisreset /?' for usage.\n", ExitUsage, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(false)
			e.hosts["h"] = newStub(true)
			if c.setup != nil {
				c.setup(e)
			}
			if code := e.run(t, c.argv...); code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			check(t, "stdout", e.out.String(), c.out)
			check(t, "stderr", e.errOut.String(), c.stderr)
			if got := e.hosts["h"].Calls(); got != c.calls {
				t.Errorf("calls %q, want %q", got, c.calls)
			}
			if len(e.creds) > 1 {
				t.Errorf("dialed %d times", len(e.creds))
			}
		})
	}
}

func TestResetLocalhost(t *testing.T) {
	e := newEnv(false)
	e.hosts["localhost"] = newStub(true)
	if code := e.run(t, "iisreset", "-u", "bob", "/stop"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.errOut)
	}
}

func TestNewCmdReset(t *testing.T) {
	var got *ResetOptions
	err := newCmdReset(context.Background(), newEnv(false).f, "iisreset",
		[]string{"-u", `CORP\bob`, "--hashes=" + "31d6cfe0d16ae931b73c59d7e0c089c0", "--password-stdin", "--auth", "spnego",
			"--dial-timeout", "2", "[::1]:1135", "-restart", "/timeout:9"},
		func(o *ResetOptions) error { got = o; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := ResetOptions{Name: "iisreset", Target: Target{"::1", 1135},
		Auth:  AuthFlags{User: `CORP\bob`, Hashes: "31d6cfe0d16ae931b73c59d7e0c089c0", PasswordStdin: true},
		Conn:  ConnOptions{AuthType: AuthSPNEGO, DialTimeout: 2 * time.Second},
		Reset: iisreset.Options{Computer: "[::1]:1135", Action: iisreset.Restart, Timeout: 9 * time.Second, TimeoutSet: true}}
	got.IO, got.Dial, got.Getenv = nil, nil, nil
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
}

func TestSplitLeading(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	var a AuthFlags
	addAuthFlags(fs, &a)
	cases := []struct{ in, flags, rest []string }{
		{[]string{"-u", "bob", "-p=x", "--password-stdin", "h", "-p", "y"}, []string{"-u", "bob", "-p=x", "--password-stdin", "-p", "y"}, []string{"h"}},
		{[]string{"-stop", "-u", "bob"}, []string{"-u", "bob"}, []string{"-stop"}},
		{[]string{"web01", "/STOP", "-u", `CORP\bob`, "/TIMEOUT:5"}, []string{"-u", `CORP\bob`}, []string{"web01", "/STOP", "/TIMEOUT:5"}},
		{[]string{"-u", "bob", "--", "-u"}, []string{"-u", "bob"}, []string{"-u"}},
		{[]string{"-u"}, []string{"-u"}, []string{}},
		{[]string{"-user", "bob", "-password-stdin", "/stop"}, []string{"--user", "bob", "--password-stdin"}, []string{"/stop"}},
	}
	for _, c := range cases {
		f, r := splitLeading(fs, c.in)
		if !equal(f, c.flags) || !equal(r, c.rest) {
			t.Errorf("splitLeading(%q) = %q, %q", c.in, f, r)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestResetFlagsBeforeCommand: the root's flags before "reset" reach
// iisreset mode's parser too.
func TestResetFlagsBeforeCommand(t *testing.T) {
	e := newEnv(false)
	e.hosts["h"] = newStub(true)
	if code := e.run(t, "iisctl", "-u", `CORP\bob`, "reset", "h", "/status"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.errOut)
	}
	if len(e.creds) != 1 || e.creds[0].User != "bob" || e.creds[0].Domain != "CORP" {
		t.Fatalf("creds %+v", e.creds)
	}
	if !strings.HasPrefix(e.out.String(), "Status for ") {
		t.Fatalf("stdout %q", e.out)
	}
}
