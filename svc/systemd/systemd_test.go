package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// plainSvc is the [Service] section of a long-running test unit.
const plainSvc = "[Service]\nType=exec\nExecStart=/bin/sleep 600\n"

func ctxFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// cleanupKill Kills the manager's services when the test ends.
func cleanupKill(t *testing.T, m *Manager) {
	t.Cleanup(func() {
		if err := m.Kill(ctxFor(t, 10*time.Second)); err != nil {
			t.Errorf("cleanup Kill: %v", err)
		}
		m.Close()
	})
}

func statusOf(t *testing.T, m *Manager) map[string]svc.Status {
	t.Helper()
	st, err := m.Services(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]svc.Status{}
	for _, s := range st {
		out[s.Name] = s
	}
	return out
}

// TestTargetMembership: Wants= (WantedBy= + enable) and Requires= make
// AutoStart members, PartOf= alone a DemandStart one; non-services and
// unrelated units are not members.
func TestTargetMembership(t *testing.T) {
	g := newGroup(t)
	g.write(t, map[string]string{
		"iis.target":       "[Unit]\nRequires=" + g.unit("req") + "\nAfter=" + g.unit("ondemand") + "\nWants=" + g.prefix + "x.socket\n",
		"wanted.service":   "[Unit]\nDescription=Wanted\n" + plainSvc + "[Install]\nWantedBy=" + g.target + "\n",
		"req.service":      "[Unit]\nDescription=Required\nRequires=" + g.unit("wanted") + "\n" + plainSvc,
		"ondemand.service": "[Unit]\nDescription=On demand\nPartOf=" + g.target + "\n" + plainSvc,
		"other.service":    "[Unit]\nDescription=Unrelated\n" + plainSvc,
		"x.socket":         "[Socket]\nListenStream=" + filepath.Join(g.sb.Dir, g.prefix+"x.sock") + "\n",
	})
	g.enable(t, "wanted")
	g.reload(t)
	m := g.manager(t, Config{Target: g.target, Prefix: g.prefix})
	cleanupKill(t, m)
	st, err := m.Services(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		got = append(got, s.Name+":"+s.StartType.String()+":"+strings.Join(s.Dependencies, ","))
	}
	want := []string{"ondemand:demand:", "req:auto:wanted", "wanted:auto:"}
	if !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	if err := m.Start(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	s := statusOf(t, m)
	if s["wanted"].State != svc.Running || s["req"].State != svc.Running || s["ondemand"].State != svc.Stopped {
		t.Errorf("after Start: %+v", s)
	}
}

// TestExplicitUnits: Config.Units without a target; Demand units stay
// stopped; order is the configured one.
func TestExplicitUnits(t *testing.T) {
	g := newGroup(t)
	g.write(t, map[string]string{"b.service": plainSvc, "a.service": plainSvc})
	g.reload(t)
	m := g.manager(t, Config{Units: []string{"b", g.unit("a")}, Demand: []string{"a"}, Prefix: g.prefix})
	cleanupKill(t, m)
	if err := m.Start(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	st, err := m.Services(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Name != "b" || st[1].Name != "a" ||
		st[0].State != svc.Running || st[1].State != svc.Stopped || st[1].StartType != svc.DemandStart {
		t.Errorf("services: %+v", st)
	}
	if err := m.Stop(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// TestStatusFields checks a running service's record against systemd's.
func TestStatusFields(t *testing.T) {
	g := newGroup(t)
	g.write(t, map[string]string{"iis.target": "[Unit]\n",
		"web.service": "[Unit]\nDescription=World Wide Web Publishing Service\n" + plainSvc +
			"TimeoutStartSec=7\nTimeoutStopSec=11\n[Install]\nWantedBy=" + g.target + "\n"})
	g.enable(t, "web")
	g.reload(t)
	m := g.manager(t, Config{Target: g.target, Prefix: g.prefix})
	cleanupKill(t, m)
	if err := m.Start(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	s := statusOf(t, m)["web"]
	pid, err := g.sb.Conn().GetServicePropertyContext(ctxFor(t, time.Second), g.unit("web"), "MainPID")
	if err != nil {
		t.Fatal(err)
	}
	if s.DisplayName != "World Wide Web Publishing Service" || s.Type != svc.TypeOwnProcess ||
		s.State != svc.Running || s.ProcessID == 0 || s.ProcessID != pid.Value.Value().(uint32) ||
		s.ControlsAccepted != svc.AcceptStop|svc.AcceptShutdown || s.StartType != svc.AutoStart ||
		s.Win32ExitCode != 0 || s.CheckPoint != 0 || s.WaitHint != 0 {
		t.Errorf("running web: %+v (systemd MainPID %v)", s, pid.Value)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", s.ProcessID)); string(comm) != "sleep\n" {
		t.Errorf("MainPID runs %q", comm)
	}
}

// TestStopTimeoutThenKill: Stop runs out of time on a unit that ignores
// SIGTERM (it stays StopPending: systemd would escalate only after
// TimeoutStopSec), then Kill ends it with SIGKILL.
func TestStopTimeoutThenKill(t *testing.T) {
	g := newGroup(t)
	g.write(t, map[string]string{"iis.target": "[Unit]\n",
		"stubborn.service": "[Unit]\nPartOf=" + g.target + "\n[Service]\nType=exec\n" +
			"ExecStart=/bin/sh -c \"trap '' TERM; exec sleep 600\"\nTimeoutStopSec=20\n" +
			"[Install]\nWantedBy=" + g.target + "\n"})
	g.enable(t, "stubborn")
	g.reload(t)
	m := g.manager(t, Config{Target: g.target, Prefix: g.prefix})
	cleanupKill(t, m)
	if err := m.Start(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := m.Stop(ctxFor(t, 1200*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("Stop = %v after %v, want DeadlineExceeded after ~1.2 s", err, time.Since(start))
	}
	s := statusOf(t, m)["stubborn"]
	if s.State != svc.StopPending || s.CheckPoint < 2 || s.WaitHint != 20000 || s.ProcessID == 0 {
		t.Errorf("stubborn after timed-out Stop: %+v", s)
	}
	start = time.Now()
	if err := m.Kill(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	s = statusOf(t, m)["stubborn"]
	if s.State != svc.Stopped || s.ProcessID != 0 || s.Win32ExitCode != svc.ExitProcessAborted || s.ServiceSpecificExitCode != 9 {
		t.Errorf("stubborn after Kill (%v): %+v", time.Since(start), s)
	}
}

// waitIgnoresTERM waits (bounded) until pid ignores SIGTERM
// (/proc/PID/status SigIgn, bit 15).
func waitIgnoresTERM(t *testing.T, pid uint32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatalf("pid %d: %v", pid, err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if hexMask, ok := strings.CutPrefix(line, "SigIgn:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(hexMask), 16, 64); err == nil && m&(1<<(15-1)) != 0 {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("pid %d never ignored SIGTERM", pid)
}

// TestExitMappings runs units that end in each systemd Result.
func TestExitMappings(t *testing.T) {
	g := newGroup(t)
	g.write(t, map[string]string{
		"exit3.service":   "[Service]\nType=exec\nExecStart=/bin/sh -c \"exit 3\"\n",
		"missing.service": "[Service]\nType=exec\nExecStart=/nonexistent/iisctl-test-binary\n",
		"hang.service": "[Service]\nType=exec\nExecStart=/bin/sh -c \"trap '' TERM; exec sleep 600\"\n" +
			"TimeoutStopSec=0.3\n", // then systemd sends SIGKILL itself
	})
	g.reload(t)
	m := g.manager(t, Config{Units: []string{"exit3", "missing", "hang"}, Prefix: g.prefix})
	cleanupKill(t, m)
	_ = m.Start(ctxFor(t, 5*time.Second)) // exit3 and missing fail to start
	// Type=exec counts hang as started once sh is exec'd, maybe before its
	// trap runs: a SIGTERM then would end it cleanly (Result=success).
	waitIgnoresTERM(t, statusOf(t, m)["hang"].ProcessID)
	conn := g.sb.Conn()
	done := make(chan string, 1)
	if _, err := conn.StopUnitContext(ctxFor(t, 5*time.Second), g.unit("hang"), "replace", done); err != nil {
		t.Fatal(err)
	}
	<-done
	want := map[string][2]uint32{
		"exit3":   {svc.ExitServiceSpecificError, 3},
		"missing": {svc.ExitFileNotFound, 203},
		"hang":    {svc.ExitServiceRequestTimeout, 0},
	}
	for name, s := range statusOf(t, m) {
		if s.State != svc.Stopped || [2]uint32{s.Win32ExitCode, s.ServiceSpecificExitCode} != want[name] {
			t.Errorf("%s: %v %d/%d, want Stopped %v", name, s.State, s.Win32ExitCode, s.ServiceSpecificExitCode, want[name])
		}
	}
}

// TestStartTimeout: a start that outlasts ctx returns DeadlineExceeded
// while the service is StartPending with a rising CheckPoint.
func TestStartTimeout(t *testing.T) {
	g := newGroup(t)
	g.write(t, map[string]string{"slow.service": plainSvc + "ExecStartPost=/bin/sleep 30\n"})
	g.reload(t)
	m := g.manager(t, Config{Units: []string{"slow"}, Prefix: g.prefix})
	cleanupKill(t, m)
	err := m.Start(ctxFor(t, 1100*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start = %v, want DeadlineExceeded", err)
	}
	s := statusOf(t, m)["slow"]
	if s.State != svc.StartPending || s.CheckPoint < 2 || s.WaitHint == 0 {
		t.Errorf("slow after timed-out Start: %+v", s)
	}
}

func TestUnknownTarget(t *testing.T) {
	g := newGroup(t)
	m := g.manager(t, Config{Target: g.prefix + "missing.target"})
	defer m.Close()
	if _, err := m.Services(ctxFor(t, 5*time.Second)); !errors.Is(err, svc.ErrUnknownService) {
		t.Errorf("Services = %v, want ErrUnknownService", err)
	}
	m2 := g.manager(t, Config{Units: []string{g.prefix + "missing.service"}})
	defer m2.Close()
	if err := m2.Start(ctxFor(t, 5*time.Second)); !errors.Is(err, svc.ErrUnknownService) {
		t.Errorf("Start = %v, want ErrUnknownService", err)
	}
}

// TestKillExtra: Kill also ends processes named in KillExtra.
func TestKillExtra(t *testing.T) {
	g := newGroup(t)
	name := "iisctl-x" + g.prefix[:len(g.prefix)-1]
	bin := filepath.Join(t.TempDir(), name)
	sleep, err := os.ReadFile("/bin/sleep")
	must(t, err)
	must(t, os.WriteFile(bin, sleep, 0o755))
	cmd := exec.Command(bin, "600")
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	m := g.manager(t, Config{Units: []string{g.prefix + "none.service"}, KillExtra: []string{name}})
	defer m.Close()
	if err := m.Kill(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if !strings.Contains(err.Error(), "killed") {
			t.Errorf("extra process ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("extra process still running after Kill")
	}
}

// TestDirectSocket drives systemd over its private socket (no bus daemon).
func TestDirectSocket(t *testing.T) {
	g := newGroup(t)
	g.write(t, map[string]string{"a.service": plainSvc})
	g.reload(t)
	addr := "unix:path=" + filepath.Join(g.sb.RuntimeDir, "systemd", "private")
	m, err := New(ctxFor(t, 10*time.Second), Config{BusAddress: addr, Direct: true, Units: []string{"a"}, Prefix: g.prefix})
	if err != nil {
		t.Fatal(err)
	}
	cleanupKill(t, m)
	must(t, m.Start(ctxFor(t, 5*time.Second)))
	if s := statusOf(t, m)["a"]; s.State != svc.Running {
		t.Errorf("a: %+v", s)
	}
	must(t, m.Stop(ctxFor(t, 5*time.Second)))
	if s := statusOf(t, m)["a"]; s.State != svc.Stopped {
		t.Errorf("a: %+v", s)
	}
}
