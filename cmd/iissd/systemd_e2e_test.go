package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/internal/systemdtest"
)

// The "iis" unit set the end-to-end tests install into a real systemd:
// iis.target groups them, Prefix "iis-" names the services.
//
//	was       auto    the test binary's demo-service (runs until SIGTERM)
//	w3svc     auto    the test binary's demo-site on a free loopback port; Requires was
//	ftpsvc    demand  demo-service
//	iisadmin  demand  ignores SIGTERM; TimeoutStopSec=sdStubbornStop
//	smtpsvc   demand  exits 3 at once
//
// Demand units are started by the tests themselves, over D-Bus.
const (
	sdTarget       = "iis.target"
	sdPrefix       = "iis-"
	sdStubbornStop = 5 // seconds before systemd SIGKILLs iisadmin itself

	sdActivationIP = "127.36.0.1" // distinct from the other tests' addresses
	sdActivation   = sdActivationIP + ":135"
)

// sdDisplay is each service's Description (its display name).
var sdDisplay = map[string]string{
	"was":      "Windows Process Activation Service",
	"w3svc":    "World Wide Web Publishing Service",
	"ftpsvc":   "Microsoft FTP Service",
	"iisadmin": "IIS Admin Service",
	"smtpsvc":  "Simple Mail Transfer Protocol (SMTP)",
}

// sdUnits renders the unit set for the test binary exe and the web
// site's address.
func sdUnits(exe, site string) map[string]string {
	unit := func(name, extra, svcSection string, wanted bool) string {
		var b strings.Builder
		fmt.Fprintf(&b, "[Unit]\nDescription=%s\nPartOf=%s\nStartLimitIntervalSec=0\n%s", sdDisplay[name], sdTarget, extra)
		fmt.Fprintf(&b, "[Service]\nType=exec\n%s", svcSection)
		if wanted {
			fmt.Fprintf(&b, "[Install]\nWantedBy=%s\n", sdTarget)
		}
		return b.String()
	}
	execStart := func(argv ...string) string { return "ExecStart=" + systemdtest.ExecLine(argv) + "\n" }
	return map[string]string{
		sdTarget: "[Unit]\nDescription=Internet Information Services\n" +
			"After=iis-ftpsvc.service iis-iisadmin.service iis-smtpsvc.service\n",
		"iis-was.service": unit("was", "", execStart(exe, "demo-service"), true),
		"iis-w3svc.service": unit("w3svc", "Requires=iis-was.service\nAfter=iis-was.service\n",
			execStart(exe, "demo-site", "--listen", site, "--name", "w3svc"), true),
		"iis-ftpsvc.service": unit("ftpsvc", "", execStart(exe, "demo-service"), false),
		// SIG_IGN survives exec: sleep ignores SIGTERM too.
		"iis-iisadmin.service": unit("iisadmin", "",
			execStart("/bin/sh", "-c", `trap "" TERM; exec sleep 600`)+fmt.Sprintf("TimeoutStopSec=%d\n", sdStubbornStop), false),
		"iis-smtpsvc.service": unit("smtpsvc", "", execStart("/bin/sh", "-c", "exit 3"), false),
	}
}

// sdEnv is a real systemd manager with the iis unit set, and iissd
// (in-process, backend systemd) serving it.
type sdEnv struct {
	sb *systemdtest.Sandbox
	d  *demoServer
}

// startSystemdIIS starts a systemd sandbox, installs the unit set, starts
// iis.target (as booting would) and runs iissd with backend=systemd.
// impacket's DCOMConnection dials port 135, so as root iissd listens on
// sdActivation (a loopback address of its own); otherwise on 127.0.0.1:0,
// and the impacket script sets the port. Cleanup stops iissd, then systemd.
func startSystemdIIS(t *testing.T) *sdEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), systemdtest.StartTimeout)
	defer cancel()
	sb, err := systemdtest.Start(ctx, "")
	if err != nil {
		peertest.Skip(t, "real systemd unavailable: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("closing the systemd sandbox: %v", err)
		}
	})
	activation, object := "127.0.0.1:0", "127.0.0.1:0"
	if os.Geteuid() == 0 {
		if l, err := net.Listen("tcp", sdActivation); err == nil {
			l.Close()
			activation, object = sdActivation, net.JoinHostPort(sdActivationIP, "0")
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	site := freeAddr(t)
	for name, text := range sdUnits(exe, site) {
		if err := sb.WriteUnit(name, text); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"iis-was.service", "iis-w3svc.service"} {
		if err := sb.Enable(sdTarget, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := sb.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	e := &sdEnv{sb: sb}
	e.startUnit(t, sdTarget)
	e.d = startDemo(t, demoOptions{Activation: activation, Site: site, Edit: func(c *Config) {
		c.Listen.Object = object
		c.Services = nil
		c.Backend.Type = "systemd"
		c.Backend.Systemd = SystemdConfig{Bus: sb.BusAddress, Target: sdTarget, Prefix: sdPrefix}
		if err := c.validate(); err != nil {
			t.Fatal(err)
		}
	}})
	return e
}

func sdUnit(name string) string {
	if strings.HasSuffix(name, ".target") {
		return name
	}
	return sdPrefix + name + ".service"
}

// startUnit starts a unit (a service name or the target) directly over
// D-Bus, as systemctl start does, and waits for its job to be done.
func (e *sdEnv) startUnit(t *testing.T, name string) {
	t.Helper()
	if r := e.startJob(t, name); r != "done" {
		t.Fatalf("start %s: job %s\n%s", name, r, e.sb.LogTail(20))
	}
}

// startJob starts a unit over D-Bus and returns its job's result.
func (e *sdEnv) startJob(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := make(chan string, 1)
	if _, err := e.sb.Conn().StartUnitContext(ctx, sdUnit(name), "replace", ch); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		t.Fatalf("start %s: %v", name, ctx.Err())
	}
	return ""
}

// prop reads a unit property through systemd's D-Bus API.
func (e *sdEnv) prop(t *testing.T, name, iface, p string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var (
		v   any
		err error
	)
	if iface == "Unit" {
		pr, e2 := e.sb.Conn().GetUnitPropertyContext(ctx, sdUnit(name), p)
		if pr != nil {
			v = pr.Value.Value()
		}
		err = e2
	} else {
		pr, e2 := e.sb.Conn().GetServicePropertyContext(ctx, sdUnit(name), p)
		if pr != nil {
			v = pr.Value.Value()
		}
		err = e2
	}
	if err != nil {
		t.Fatalf("%s %s: %v", name, p, err)
	}
	return v
}

func (e *sdEnv) activeState(t *testing.T, name string) string {
	t.Helper()
	s, _ := e.prop(t, name, "Unit", "ActiveState").(string)
	return s
}

func (e *sdEnv) mainPID(t *testing.T, name string) int {
	t.Helper()
	p, _ := e.prop(t, name, "Service", "MainPID").(uint32)
	return int(p)
}

// waitInactive waits (bounded) until every named unit is inactive or failed.
func (e *sdEnv) waitInactive(t *testing.T, within time.Duration, names ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, n := range names {
		for {
			s := e.activeState(t, n)
			if s == "inactive" || s == "failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still %s after %s\n%s", n, s, within, e.sb.LogTail(20))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// waitGone waits (bounded) until none of pids exists any more.
func waitGone(t *testing.T, within time.Duration, pids map[string]int) {
	t.Helper()
	deadline := time.Now().Add(within)
	for name, pid := range pids {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("%s: process %d still exists after %s", name, pid, within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// sdResult is one host's element of iisctl --json, exit codes included.
type sdResult struct {
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	HRESULT  string `json:"hresult"`
	Services []struct {
		Name            string `json:"name"`
		DisplayName     string `json:"display_name"`
		State           string `json:"state"`
		Win32ExitCode   uint32 `json:"win32_exit_code"`
		ServiceSpecific uint32 `json:"service_specific_exit_code"`
	} `json:"services"`
}

// run runs the real iisctl (e2e_helpers_test.go) as the administrator
// with --json, and returns its result and the run.
func (e *sdEnv) run(t *testing.T, args ...string) (sdResult, cliResult) {
	t.Helper()
	c := admin(t, append([]string{args[0], e.d.Target(), "--json", "--dial-timeout", "10s"}, args[1:]...)...)
	var res []sdResult
	if err := json.Unmarshal([]byte(c.stdout), &res); err != nil || len(res) != 1 {
		t.Fatalf("iisctl --json output (%v):\n%s\niissd:\n%s", err, c, e.d.Logs())
	}
	return res[0], c
}

// mustRun runs iisctl and fails unless it succeeded.
func (e *sdEnv) mustRun(t *testing.T, args ...string) sdResult {
	t.Helper()
	r, c := e.run(t, args...)
	if c.code != 0 || !r.OK {
		t.Fatalf("iisctl failed:\n%s\niissd:\n%s\nsystemd:\n%s", c, e.d.Logs(), e.sb.LogTail(30))
	}
	return r
}

// sdStates is name -> "State win32/specific" from an iisctl status.
func sdStates(r sdResult) map[string]string {
	m := map[string]string{}
	for _, s := range r.Services {
		m[s.Name] = fmt.Sprintf("%s %d/%d", s.State, s.Win32ExitCode, s.ServiceSpecific)
	}
	return m
}

func siteAnswers(t *testing.T, site string) string {
	t.Helper()
	c := &http10Client{addr: site}
	body, err := c.get()
	if err != nil {
		t.Fatalf("site %s: %v", site, err)
	}
	return body
}

// http10Client does one bounded GET / without net/http's connection pool.
type http10Client struct{ addr string }

func (c *http10Client) get() (string, error) {
	conn, err := net.DialTimeout("tcp", c.addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", c.addr); err != nil {
		return "", err
	}
	var b bytes.Buffer
	_, err = b.ReadFrom(conn)
	if !strings.HasPrefix(b.String(), "HTTP/1.0 200") {
		return b.String(), fmt.Errorf("not a 200 answer (%v): %q", err, b.String())
	}
	return b.String(), nil
}

// TestSystemdEndToEnd: iissd with the systemd backend, driven by the real
// iisctl binary and by impacket, stops, starts, kills and reports real
// units of a real systemd. One manager and one iissd serve both clients.
func TestSystemdEndToEnd(t *testing.T) {
	e := startSystemdIIS(t)
	t.Run("iisctl", e.testIisctl)
	t.Run("impacket", e.testImpacket)
	t.Run("direct", e.testDirect)
	t.Run("control-channel", e.testControlStatus)
}

// testControlStatus: `iissd status`'s SERVICE_STATUS_PROCESS over the
// control channel with the systemd backend, against systemd's MainPID and
// /proc: running with the real main process, stop pending with a rising
// checkpoint and TimeoutStopSec as the wait hint, stopped with 1053 after
// systemd's stop timeout, 1066/3 for a unit that exited 3.
func (e *sdEnv) testControlStatus(t *testing.T) {
	d := e.d
	e.mustRun(t, "start")
	d.waitSite(t, true)
	for _, n := range []string{"was", "w3svc"} {
		s := ctlStatus(t, d, n)
		pid := e.mainPID(t, n)
		if pid == 0 || s.CurrentState != 4 || s.ProcessID != uint32(pid) || s.ControlsAccepted != 5 ||
			s.LogFile != "journalctl -u iis-"+n+".service" || s.Since.IsZero() || s.DisplayName != sdDisplay[n] {
			t.Errorf("%s: %+v (MainPID %d)", n, s, pid)
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", s.ProcessID))
		if err != nil || !bytes.Contains(cmdline, []byte("demo-s")) {
			t.Errorf("%s: /proc/%d/cmdline %q %v", n, s.ProcessID, cmdline, err)
		}
	}

	e.startUnit(t, "iisadmin")
	pid := e.mainPID(t, "iisadmin")
	if _, c := e.run(t, "stop", "--timeout", "1s", "--no-force"); c.code != 5 {
		t.Fatalf("stop --no-force: %s", c)
	}
	first := ctlStatus(t, d, "iisadmin")
	if first.CurrentState != 3 || first.ProcessID != uint32(pid) || first.WaitHint != sdStubbornStop*1000 ||
		first.CheckPoint < 1 || first.ControlsAccepted != 0 {
		t.Fatalf("iisadmin stopping: %+v (MainPID %d)", first, pid)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Errorf("stop pending, but pid %d: %v", pid, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if later := ctlStatus(t, d, "iisadmin"); later.CurrentState == 3 && later.CheckPoint <= first.CheckPoint {
		t.Errorf("checkpoint did not rise: %d then %d", first.CheckPoint, later.CheckPoint)
	}
	e.waitInactive(t, sdStubbornStop*time.Second+5*time.Second, "iisadmin")
	if s := ctlStatus(t, d, "iisadmin"); s.CurrentState != 1 || s.Win32ExitCode != 1053 || s.ProcessID != 0 || s.CheckPoint != 0 {
		t.Errorf("iisadmin after systemd's stop timeout: %+v", s)
	}

	if r := e.startJob(t, "smtpsvc"); r != "done" && r != "failed" {
		t.Fatalf("start smtpsvc: job %s", r)
	}
	e.waitInactive(t, 5*time.Second, "smtpsvc")
	if s := ctlStatus(t, d, "smtpsvc"); s.CurrentState != 1 || s.Win32ExitCode != 1066 || s.ServiceSpecificExitCode != 3 || s.ProcessID != 0 {
		t.Errorf("smtpsvc after exit 3: %+v", s)
	}
	e.mustRun(t, "stop")
}

func (e *sdEnv) testIisctl(t *testing.T) {
	d := e.d

	// status: every unit, display names from Description, states.
	r := e.mustRun(t, "status")
	if len(r.Services) != len(sdDisplay) {
		t.Fatalf("status lists %d services, want %d: %+v", len(r.Services), len(sdDisplay), r.Services)
	}
	for _, s := range r.Services {
		if s.DisplayName != sdDisplay[s.Name] {
			t.Errorf("%s: display name %q, want %q", s.Name, s.DisplayName, sdDisplay[s.Name])
		}
	}
	want := map[string]string{"was": "Running 0/0", "w3svc": "Running 0/0", "ftpsvc": "Stopped 0/0",
		"iisadmin": "Stopped 0/0", "smtpsvc": "Stopped 0/0"}
	if got := sdStates(r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("initial status %v, want %v", got, want)
	}
	if body := siteAnswers(t, d.Site); !strings.Contains(body, "w3svc") {
		t.Errorf("site: %q", body)
	}

	// stop: the units are inactive (as systemd says) and the site refuses.
	e.startUnit(t, "ftpsvc")
	e.mustRun(t, "stop")
	for _, n := range []string{"was", "w3svc", "ftpsvc", sdTarget} {
		if s := e.activeState(t, n); s != "inactive" {
			t.Errorf("after stop: %s is %s", n, s)
		}
	}
	d.waitSite(t, false)
	r = e.mustRun(t, "status")
	for name, st := range sdStates(r) {
		if st != "Stopped 0/0" {
			t.Errorf("after stop: %s %s", name, st)
		}
	}

	// start: the auto units (and the target) are back, the demand one not.
	e.mustRun(t, "start")
	for n, want := range map[string]string{"was": "active", "w3svc": "active", sdTarget: "active", "ftpsvc": "inactive"} {
		if s := e.activeState(t, n); s != want {
			t.Errorf("after start: %s is %s, want %s", n, s, want)
		}
	}
	d.waitSite(t, true)
	siteAnswers(t, d.Site)

	// A unit that ignores SIGTERM: a forced stop with a 1 s timeout kills
	// it and succeeds, well before systemd's own TimeoutStopSec.
	e.startUnit(t, "iisadmin")
	pid := e.mainPID(t, "iisadmin")
	t0 := time.Now()
	r = e.mustRun(t, "stop", "--timeout", "1s")
	if el := time.Since(t0); el > sdStubbornStop*time.Second {
		t.Errorf("forced stop took %s: not forced", el)
	}
	waitGone(t, 5*time.Second, map[string]int{"iisadmin": pid})
	e.waitInactive(t, 5*time.Second, "iisadmin", "was", "w3svc")
	d.waitSite(t, false)
	if !strings.Contains(d.Logs(), `"method":"Stop"`) {
		t.Errorf("no audit record of the Stop:\n%s", d.Logs())
	}

	// --no-force: the same stop times out: 0x8007041D, exit code 5; the
	// unit keeps running until systemd kills it (Result=timeout: 1053).
	e.mustRun(t, "start")
	e.startUnit(t, "iisadmin")
	r, c := e.run(t, "stop", "--timeout", "1s", "--no-force")
	if c.code != 5 || r.OK || r.HRESULT != "0x8007041D" {
		t.Errorf("stop --no-force: want exit 5, 0x8007041D:\n%s", c)
	}
	if s := e.activeState(t, "iisadmin"); s != "deactivating" {
		t.Errorf("after a timed-out stop, iisadmin is %s, want deactivating", s)
	}
	e.waitInactive(t, sdStubbornStop*time.Second+5*time.Second, "iisadmin")
	if st := sdStates(e.mustRun(t, "status"))["iisadmin"]; st != "Stopped 1053/0" {
		t.Errorf("iisadmin after systemd's stop timeout: %s, want Stopped 1053/0", st)
	}

	// kill: every process of every unit is gone.
	e.mustRun(t, "start")
	e.startUnit(t, "iisadmin")
	e.startUnit(t, "ftpsvc")
	pids := map[string]int{}
	for _, n := range []string{"was", "w3svc", "ftpsvc", "iisadmin"} {
		if pids[n] = e.mainPID(t, n); pids[n] == 0 {
			t.Fatalf("%s has no main process", n)
		}
	}
	t0 = time.Now()
	e.mustRun(t, "kill")
	if el := time.Since(t0); el > sdStubbornStop*time.Second {
		t.Errorf("kill took %s", el)
	}
	waitGone(t, 5*time.Second, pids)
	e.waitInactive(t, 5*time.Second, "was", "w3svc", "ftpsvc", "iisadmin")
	d.waitSite(t, false)
	r = e.mustRun(t, "status")
	for n, st := range sdStates(r) {
		if !strings.HasPrefix(st, "Stopped ") {
			t.Errorf("after kill: %s %s", n, st)
		}
	}
	t.Logf("after kill: %v", sdStates(r))

	// A unit that exits 3: Win32ExitCode 1066, specific code 3.
	// (Type=exec: the job is "done", or "failed" when the exit is seen first.)
	if r := e.startJob(t, "smtpsvc"); r != "done" && r != "failed" {
		t.Fatalf("start smtpsvc: job %s", r)
	}
	e.waitInactive(t, 5*time.Second, "smtpsvc")
	r = e.mustRun(t, "status")
	if st := sdStates(r)["smtpsvc"]; st != "Stopped 1066/3" {
		t.Errorf("smtpsvc after exit 3: %s, want Stopped 1066/3", st)
	}
}

// testImpacket drives the same iissd with impacket (testdata/iiss_impacket.py,
// see impacket_helpers_test.go): Start, Status, Stop (graceful, timed out,
// forced) and Kill, checked against systemd's own view of the units.
func (e *sdEnv) testImpacket(t *testing.T) {
	d := e.d
	admin := impacketArgs{User: testAdmin, Password: testAdminPass}
	const (
		stopped = 1 // [MS-SCMR] SERVICE_STOPPED
		running = 4 // SERVICE_RUNNING
	)
	stateOf := func(r impacketRec) map[string]uint32 {
		m := map[string]uint32{}
		for _, s := range r.Services {
			m[s.Name] = s.State
		}
		return m
	}

	// Start, then Status: names, display names and states of the units.
	recs := runImpacket(t, d, admin, "start:20000", "status")
	wantOps(t, recs, "activate", "start", "status")
	wantHR(t, recs[1], 0)
	wantHR(t, recs[2], 0)
	if len(recs[2].Services) != len(sdDisplay) {
		t.Fatalf("impacket status: %d services, want %d: %v", len(recs[2].Services), len(sdDisplay), recs[2])
	}
	for _, s := range recs[2].Services {
		if s.Display != sdDisplay[s.Name] {
			t.Errorf("impacket status: %s display name %q, want %q", s.Name, s.Display, sdDisplay[s.Name])
		}
	}
	st := stateOf(recs[2])
	if st["was"] != running || st["w3svc"] != running || st["ftpsvc"] != stopped || st["iisadmin"] != stopped {
		t.Errorf("impacket status after start: %v", st)
	}
	d.waitSite(t, true)
	siteAnswers(t, d.Site)

	// A graceful Stop (dwForce 0): everything inactive, the site refuses.
	recs = runImpacket(t, d, admin, "stop:20000:0", "status")
	wantOps(t, recs, "activate", "stop", "status")
	wantHR(t, recs[1], 0)
	for name, s := range stateOf(recs[2]) {
		if s != stopped {
			t.Errorf("impacket status after stop: %s state %d", name, s)
		}
	}
	for _, n := range []string{"was", "w3svc", sdTarget} {
		if s := e.activeState(t, n); s != "inactive" {
			t.Errorf("after impacket stop: %s is %s", n, s)
		}
	}
	d.waitSite(t, false)

	// With the unit that ignores SIGTERM: a 1 s Stop without force times
	// out (HRESULT_FROM_WIN32(ERROR_SERVICE_REQUEST_TIMEOUT)); with force
	// it succeeds and the unit is killed.
	e.startUnit(t, sdTarget)
	e.startUnit(t, "iisadmin")
	pid := e.mainPID(t, "iisadmin")
	recs = runImpacket(t, d, admin, "stop:1000:0", "stop:1000:1", "status")
	wantOps(t, recs, "activate", "stop", "stop", "status")
	wantHR(t, recs[1], 0x8007041D)
	wantHR(t, recs[2], 0)
	waitGone(t, 5*time.Second, map[string]int{"iisadmin": pid})
	e.waitInactive(t, 5*time.Second, "was", "w3svc", "iisadmin")
	d.waitSite(t, false)

	// Kill: every process of every unit is gone.
	e.startUnit(t, sdTarget)
	e.startUnit(t, "iisadmin")
	e.startUnit(t, "ftpsvc")
	pids := map[string]int{}
	for _, n := range []string{"was", "w3svc", "ftpsvc", "iisadmin"} {
		pids[n] = e.mainPID(t, n)
	}
	recs = runImpacket(t, d, admin, "kill", "status")
	wantOps(t, recs, "activate", "kill", "status")
	wantHR(t, recs[1], 0)
	waitGone(t, 5*time.Second, pids)
	e.waitInactive(t, 5*time.Second, "was", "w3svc", "ftpsvc", "iisadmin")
	d.waitSite(t, false)
}

// testDirect builds iissd's backend from a configuration with every
// [backend.systemd] key: systemd's private socket (direct, no bus
// daemon), explicit units with a demand one, and the prefix.
func (e *sdEnv) testDirect(t *testing.T) {
	cfg := &Config{Backend: BackendConfig{Type: "systemd", Systemd: SystemdConfig{
		Bus: "unix:path=" + filepath.Join(e.sb.RuntimeDir, "systemd", "private"), Direct: true,
		Units: []string{"was", "w3svc", "iis-ftpsvc.service"}, Demand: []string{"ftpsvc"}, Prefix: sdPrefix,
	}}}
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := newBackend(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("backend on the private socket: %v", err)
	}
	defer m.Close()
	st, err := m.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		got = append(got, s.Name+":"+s.StartType.String()+":"+strings.Join(s.Dependencies, ","))
	}
	if want := "was:auto: w3svc:auto:was ftpsvc:demand:"; strings.Join(got, " ") != want {
		t.Errorf("services %q, want %q", got, want)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"was", "w3svc"} {
		if s := e.activeState(t, n); s != "active" {
			t.Errorf("after Start: %s is %s", n, s)
		}
	}
	if s := e.activeState(t, "ftpsvc"); s != "inactive" && s != "failed" { // failed: the kill before
		t.Errorf("after Start: demand ftpsvc is %s", s)
	}
	e.d.waitSite(t, true)
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitInactive(t, 5*time.Second, "was", "w3svc")
}
