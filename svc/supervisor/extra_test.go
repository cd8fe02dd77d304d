package supervisor_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
)

func TestRestartBackoffAndSuppression(t *testing.T) {
	clk := newFakeClock()
	runs := filepath.Join(t.TempDir(), "runs")
	m := newManager(t, supervisor.Config{Clock: clk, Services: []supervisor.Service{{
		Name: "flaky", Command: sh("echo run >> " + runs + "; exit 1"), StartSecs: -1,
		Restart: supervisor.RestartOnFailure, RestartDelay: time.Second, MaxRestartDelay: 3 * time.Second,
	}}})
	if err := m.Start(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		waitLines(t, runs, i+1)
		waitPending(t, clk, want)
		if s := status(t, m, "flaky"); s.State != svc.Stopped || s.Win32ExitCode != 1066 || s.ServiceSpecificExitCode != 1 {
			t.Fatalf("between restarts: %+v", s)
		}
		clk.Advance(want)
	}
	waitLines(t, runs, 5)
	waitPending(t, clk, time.Second*3)
	if err := m.Stop(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	if p := clk.Pending(); len(p) != 0 {
		t.Fatalf("timers pending after Stop: %v", p)
	}
}

// waitPending waits until the clock holds exactly one timer, of d.
func waitPending(t *testing.T, clk *fakeClock, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for p := clk.Pending(); !slices.Equal(p, []time.Duration{d}); p = clk.Pending() {
		if time.Now().After(deadline) {
			t.Fatalf("pending timers %v, want [%v]", p, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRestartAfterExternalKill(t *testing.T) {
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "web", Command: sh("exec sleep 600"), StartSecs: -1, Restart: supervisor.RestartOnFailure,
			RestartDelay: 10 * time.Millisecond},
		{Name: "once", Command: sh("exec sleep 600"), StartSecs: -1},
	}})
	if err := m.Start(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	pid := status(t, m, "web").ProcessID
	syscall.Kill(int(pid), syscall.SIGKILL)
	syscall.Kill(int(status(t, m, "once").ProcessID), syscall.SIGKILL)
	s := waitStatus(t, m, "web", func(s svc.Status) bool { return s.State == svc.Running && s.ProcessID != pid })
	if s.Win32ExitCode != 0 {
		t.Errorf("restarted web still reports exit %d", s.Win32ExitCode)
	}
	if s.Restarts != 1 || s.Since.IsZero() {
		t.Errorf("restarted web: Restarts %d (want 1), Since %v", s.Restarts, s.Since)
	}
	if s := waitStatus(t, m, "once", isStopped); s.Win32ExitCode != svc.ExitProcessAborted || s.Restarts != 0 || s.ProcessID != 0 {
		t.Errorf("once after SIGKILL from elsewhere: %+v", s)
	}
	if err := m.Kill(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	if s := status(t, m, "web"); s.State != svc.Stopped || s.Win32ExitCode != 0 {
		t.Errorf("web after Kill: %+v", s)
	}
}

func TestLogCapture(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, supervisor.Config{LogDir: dir, Services: []supervisor.Service{
		{Name: "chatty", Command: sh("echo out-$X; echo err >&2; exec sleep 600"), Env: []string{"X=yes"}, StartSecs: -1},
	}})
	log := filepath.Join(dir, "chatty.log")
	if got := status(t, m, "chatty").LogFile; got != log {
		t.Errorf("LogFile %q, want %q", got, log)
	}
	for round := 1; round <= 2; round++ {
		if err := m.Start(ctxBound(t)); err != nil {
			t.Fatal(err)
		}
		waitLines(t, log, 2*round)
		if err := m.Stop(ctxBound(t)); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(log)
	if got := strings.Fields(string(b)); !slices.Equal(got, []string{"out-yes", "err", "out-yes", "err"}) &&
		!slices.Equal(got, []string{"err", "out-yes", "err", "out-yes"}) {
		t.Fatalf("log = %q", got)
	}
}

// spawnExtra runs a copy of sleep under a unique name, as a test child.
func spawnExtra(t *testing.T) (*exec.Cmd, string) {
	t.Helper()
	name := "iisctl-extra-" + filepath.Base(t.TempDir())
	bin := filepath.Join(t.TempDir(), name)
	copyFile(t, "/bin/sleep", bin)
	cmd := exec.Command(bin, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, name
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestKillExtra(t *testing.T) {
	cmd, name := spawnExtra(t)
	m := newManager(t, supervisor.Config{KillExtra: []string{name}})
	if err := m.Kill(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if ws.Signal() != syscall.SIGKILL {
			t.Fatalf("extra process ended with %v, want SIGKILL", err)
		}
	case <-time.After(bound):
		t.Fatal("extra process still running after Kill")
	}
}

func TestKillExtraMatchingNeverSelf(t *testing.T) {
	self := os.Getpid()
	m := newManager(t, supervisor.Config{KillExtra: []string{"w3wp", "inetinfo"}, ListProcs: func() ([]supervisor.Proc, error) {
		return []supervisor.Proc{
			{PID: self, Comm: "w3wp"}, {PID: 1, Comm: "w3wp"},
			{PID: 1001, Comm: "w3wp"}, {PID: 1002, Comm: "sh", Argv0: "/opt/iis/inetinfo"},
			{PID: 1003, Comm: "inetinfo-ish"}, {PID: 1004, Comm: "bash", Argv0: "w3wp.sh"},
		}, nil
	}})
	var killed []int
	supervisor.SetSignal(m, func(pid int, sig syscall.Signal) error {
		killed = append(killed, pid)
		return syscall.ESRCH
	})
	if err := m.Kill(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(killed, []int{1001, 1002}) {
		t.Fatalf("killed %v, want [1001 1002]", killed)
	}
}

func TestStartCheck(t *testing.T) {
	up := freeAddr(t) // the service listens there itself (contain_test.go)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "up", Command: listenHelper(up), Env: []string{"SUPERVISOR_TEST_LISTEN=" + up}, StartCheck: up},
		{Name: "hang", Command: sh("exec sleep 600"), StartCheck: closedAddr, StartTimeout: 300 * time.Millisecond},
	}})
	if err := m.Start(ctxBound(t)); err == nil {
		t.Fatal("Start succeeded though hang never listens")
	}
	if s := status(t, m, "up"); s.State != svc.Running {
		t.Errorf("up: %v", s.State)
	}
	if s := status(t, m, "hang"); s.State != svc.Stopped || s.Win32ExitCode != svc.ExitServiceStartHang {
		t.Errorf("hang: %+v", s)
	}
}

func TestCloseLeavesProcessesRunning(t *testing.T) {
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "web", Command: sh("exec sleep 600"), StartSecs: -1},
	}})
	if err := m.Start(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	pid := int(status(t, m, "web").ProcessID)
	defer syscall.Kill(-pid, syscall.SIGKILL)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("web died on Close: %v", err)
	}
	if _, err := m.Services(context.Background()); !errors.Is(err, supervisor.ErrClosed) {
		t.Fatalf("Services after Close = %v", err)
	}
	if err := m.Start(context.Background()); !errors.Is(err, supervisor.ErrClosed) {
		t.Fatalf("Start after Close = %v", err)
	}
}

func TestShutdownFallsBackToKill(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "web", Command: sh("exec sleep 600"), StartSecs: -1},
		{Name: "stubborn", Command: sh("trap '' TERM; echo ready > " + ready + "; exec sleep 600"), StartSecs: -1},
	}})
	if err := m.Start(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	waitLines(t, ready, 1)
	pids := []int{int(status(t, m, "web").ProcessID), int(status(t, m, "stubborn").ProcessID)}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := m.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the Stop timeout", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("pid %d survived Shutdown", pid)
		}
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	m, err := supervisor.New(supervisor.Config{Services: []supervisor.Service{
		{Name: "web", Command: sh("exec sleep 600"), StartSecs: 20 * time.Millisecond},
		{Name: "worker", Command: sh("exec sleep 600"), DependsOn: []string{"web"}, Restart: supervisor.RestartAlways},
		{Name: "check", Command: sh("exec sleep 600"), StartCheck: "127.0.0.1:1", StartTimeout: time.Minute},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	m.Start(ctx) // "check" never passes
	if err := m.Stop(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	m.Start(ctx)
	if err := m.Kill(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	m.Close()
	deadline := time.Now().Add(bound)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
