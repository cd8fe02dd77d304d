package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
)

func fleetEnv(tty bool) *env {
	e := newEnv(tty)
	e.hosts["web01"] = newStub(true)
	e.hosts["web02:1135"] = newStub(false)
	e.hosts["web03"] = newStub(true).fail("stop", fmt.Errorf("stop: %w", iiss.E_ACCESSDENIED))
	e.dialErrs["web04"] = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	return e
}

func TestStatusTTY(t *testing.T) {
	e := fleetEnv(true)
	code := e.run(t, "iisctl", "status", "-u", "bob", "web01", "web02:1135", "web04")
	check(t, "stdout", e.out.String(), ""+
		"HOST        SERVICE   DISPLAY NAME                                                    STATE    EXIT CODE\n"+
		"web01       web       Test Web Service                                                Running  0\n"+
		"web01       worker    Test Worker Service                                             Running  0\n"+
		"web01       ondemand  Test On-Demand Service                                          Stopped  0\n"+
		"web02:1135  web       Test Web Service                                                Stopped  0\n"+
		"web02:1135  worker    Test Worker Service                                             Stopped  0\n"+
		"web02:1135  ondemand  Test On-Demand Service                                          Stopped  0\n"+
		"web04       -         The RPC server is unavailable: connection refused (0x800706BA)  failed   -\n")
	check(t, "stderr", e.errOut.String(), ""+
		"hint: could not reach web04 on TCP port 135 (DCOM activation): check the host is up and that firewalls allow "+
		"port 135 and the object's port (a dynamic port, 49152-65535 on Windows; iissd uses a fixed one when "+
		"[listen] object is set in iissd.toml).\n")
	if code != ExitUnreachable {
		t.Errorf("exit %d, want %d", code, ExitUnreachable)
	}
}

func TestStatusPlain(t *testing.T) {
	e := fleetEnv(false)
	code := e.run(t, "iisctl", "status", "web01", "-u", "bob")
	check(t, "stdout", e.out.String(), ""+
		"web01\tweb\tTest Web Service\tRunning\t0\n"+
		"web01\tworker\tTest Worker Service\tRunning\t0\n"+
		"web01\tondemand\tTest On-Demand Service\tStopped\t0\n")
	check(t, "stderr", e.errOut.String(), "")
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestStopTTY(t *testing.T) {
	e := fleetEnv(true)
	code := e.run(t, "iisctl", "stop", "-u", "bob", "web01", "web03", "web02:1135")
	check(t, "stdout", e.out.String(), ""+
		"HOST        RESULT  DETAIL                                  DURATION\n"+
		"web01       ok      Internet services successfully stopped  1.5s\n"+
		"web03       failed  Access denied (0x80070005)              1.5s\n"+
		"web02:1135  ok      Internet services successfully stopped  1.5s\n")
	check(t, "stderr", e.errOut.String(), "hint: web03 accepted the logon but refused the call: the account must be in "+
		"the server's Administrators group (or a domain administrator) on Windows, or have the admin role in iissd's users file.\n")
	if code != ExitAuth {
		t.Errorf("exit %d, want %d", code, ExitAuth)
	}
}

func TestRestartPlain(t *testing.T) {
	e := fleetEnv(false)
	e.hosts["web05"] = newStub(false)
	e.hosts["web05"].HangStart(true)
	code := e.run(t, "iisctl", "restart", "-u", "bob", "--timeout", "0", "web01", "web05")
	check(t, "stdout", e.out.String(), ""+
		"web01\tok\tInternet services successfully restarted\t1.5s\n"+
		"web05\tfailed\tstart: The service did not respond to the start or control request in a timely fashion (0x8007041D)\t1.5s\n")
	check(t, "stderr", e.errOut.String(), "hint: the services on web05 did not finish within 0s; allow more with "+
		"--timeout (e.g. --timeout 2m0s).\n")
	if code != ExitTimeout {
		t.Errorf("exit %d, want %d", code, ExitTimeout)
	}
}

func TestJSON(t *testing.T) {
	e := fleetEnv(false)
	code := e.run(t, "iisctl", "stop", "--json", "-u", "bob", "web02:1135", "web03")
	want := `[
  {
    "host": "web02",
    "port": 1135,
    "action": "stop",
    "ok": true,
    "exit_code": 0,
    "hresult": "0x00000000",
    "error": "",
    "step": "",
    "services": [],
    "duration_ms": 1500,
    "mechanism": "",
    "auth_provider": ""
  },
  {
    "host": "web03",
    "port": 135,
    "action": "stop",
    "ok": false,
    "exit_code": 3,
    "hresult": "0x80070005",
    "error": "` + strings.ReplaceAll(AccessDeniedForTest, `"`, `\"`) + `",
    "step": "",
    "services": [],
    "duration_ms": 1500,
    "mechanism": "",
    "auth_provider": ""
  }
]
`
	check(t, "stdout", e.out.String(), want)
	if code != ExitAuth {
		t.Errorf("exit %d", code)
	}
}

const AccessDeniedForTest = "Access denied, you must be an administrator of the remote computer to use this command. " +
	"Either have your account added to the administrator local group of the remote computer " +
	"or to the domain administrator global group."

func TestJSONStatusSchema(t *testing.T) {
	e := fleetEnv(true)
	e.run(t, "iisctl", "status", "--json", "-u", "bob", "web01")
	var got []map[string]any
	if err := json.Unmarshal(e.out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for n := range m {
			k = append(k, n)
		}
		return sorted(k)
	}
	wantHost := []string{"action", "auth_provider", "duration_ms", "error", "exit_code", "host", "hresult", "mechanism", "ok", "port", "services", "step"}
	wantSvc := []string{"checkpoint", "controls_accepted", "display_name", "name", "service_specific_exit_code",
		"state", "state_code", "type", "wait_hint_ms", "win32_exit_code"}
	if len(got) != 1 || !reflect.DeepEqual(keys(got[0]), wantHost) {
		t.Fatalf("host keys %v", got)
	}
	svcs := got[0]["services"].([]any)
	first := svcs[0].(map[string]any)
	if len(svcs) != 3 || !reflect.DeepEqual(keys(first), wantSvc) {
		t.Fatalf("service keys %v", svcs)
	}
	if first["name"] != "web" || first["state"] != "Running" || first["state_code"] != 4.0 {
		t.Errorf("first service %v", first)
	}
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestExitPriority(t *testing.T) {
	errs := map[int]error{
		ExitFailed: errors.New("boom"), ExitAuth: iiss.E_ACCESSDENIED,
		ExitUnreachable: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED},
		ExitTimeout:     iiss.ERROR_SERVICE_REQUEST_TIMEOUT, ExitDisabled: iiss.ERROR_RESOURCE_DISABLED,
		ExitNotImpl: iiss.E_NOTIMPL,
	}
	cases := []struct {
		codes []int
		want  int
	}{
		{[]int{ExitOK, ExitOK}, ExitOK},
		{[]int{ExitOK, ExitFailed}, ExitFailed},
		{[]int{ExitFailed, ExitNotImpl}, ExitNotImpl},
		{[]int{ExitNotImpl, ExitTimeout, ExitFailed}, ExitTimeout},
		{[]int{ExitTimeout, ExitDisabled}, ExitDisabled},
		{[]int{ExitDisabled, ExitUnreachable, ExitTimeout}, ExitUnreachable},
		{[]int{ExitUnreachable, ExitAuth, ExitOK}, ExitAuth},
		{[]int{ExitAuth, ExitFailed, ExitNotImpl, ExitTimeout, ExitDisabled, ExitUnreachable}, ExitAuth},
	}
	for _, c := range cases {
		e := newEnv(false)
		args := []string{"iisctl", "stop", "-u", "bob"}
		for i, code := range c.codes {
			h := fmt.Sprintf("h%d", i)
			args = append(args, h)
			switch {
			case code == ExitOK:
				e.hosts[h] = newStub(true)
			case code == ExitUnreachable:
				e.dialErrs[h] = errs[code]
			default:
				e.hosts[h] = newStub(true).fail("stop", errs[code])
			}
		}
		if got := e.run(t, args...); got != c.want {
			t.Errorf("%v: exit %d, want %d\n%s", c.codes, got, c.want, e.errOut)
		}
	}
}

// TestFastStartFailureHint: ERROR_SERVICE_REQUEST_TIMEOUT that came back
// long before the timeout is a failed service, not a timeout: no advice
// to raise --timeout (issue 14, point 5).
func TestFastStartFailureHint(t *testing.T) {
	e := fleetEnv(false)
	e.hosts["web05"] = newStub(false).fail("start", iiss.ERROR_SERVICE_REQUEST_TIMEOUT)
	code := e.run(t, "iisctl", "start", "-u", "bob", "web05")
	if code != ExitTimeout {
		t.Errorf("exit %d, want %d", code, ExitTimeout)
	}
	got := e.errOut.String()
	if !strings.HasPrefix(got, "hint: a service on web05 failed after ") || !strings.Contains(got, "before the 1m0s timeout") ||
		strings.Contains(got, "--timeout") {
		t.Errorf("stderr %q", got)
	}
	// iisreset mode: the same, and a real timeout names /TIMEOUT.
	e = fleetEnv(false)
	e.hosts["web05"] = newStub(false).fail("start", iiss.ERROR_SERVICE_REQUEST_TIMEOUT)
	e.run(t, "iisreset", "-u", "bob", "web05", "/START")
	if got := e.errOut.String(); !strings.Contains(got, "before the 1m0s timeout") || strings.Contains(got, "--timeout") {
		t.Errorf("iisreset stderr %q", got)
	}
}

// exitStub reports one stopped service with a service-specific exit code.
type exitStub struct{ *stub }

func (s exitStub) Status(ctx context.Context) ([]iiss.ServiceStatus, error) {
	list, err := s.stub.Status(ctx)
	if err == nil && len(list) > 0 {
		list[0].State, list[0].Win32ExitCode, list[0].ServiceSpecificExitCode = svc.Stopped, svc.ExitServiceSpecificError, 3
	}
	return list, err
}

// TestStatusExitHint: a stopped service with an exit code gets a hint
// that says where its output is (issue 14, point 7).
func TestStatusExitHint(t *testing.T) {
	e := newEnv(false)
	e.f.Dial = func(ctx context.Context, tg Target, c Credentials, o ConnOptions) (Conn, error) {
		return exitStub{newStub(false)}, nil
	}
	if code := e.run(t, "iisctl", "status", "-u", "bob", "web01"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	check(t, "stderr", e.errOut.String(), "hint: on web01, web (1066 (3)) exited with an error: iissd logs each exit "+
		"with the service's log file (backend.log_dir/NAME.log; 'iissd status NAME' on the server shows it); on Windows, "+
		"see the System event log.\n")
}
