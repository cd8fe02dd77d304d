package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
)

// The test binary doubles as two helper processes:
//
//	SUPERVISOR_TEST_LISTEN=addr  a service that listens on addr (exit 98 if taken)
//	SUPERVISOR_TEST_IISSD=dir    a stand-in iissd: supervises a service that
//	                             forks, with StateDir dir, writes dir/ready, waits
func TestMain(m *testing.M) {
	if addr := os.Getenv("SUPERVISOR_TEST_LISTEN"); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(98)
		}
		defer ln.Close()
		time.Sleep(10 * time.Minute)
		os.Exit(0)
	}
	if dir := os.Getenv("SUPERVISOR_TEST_IISSD"); dir != "" {
		fakeIissd(dir)
		return
	}
	os.Exit(m.Run())
}

func fakeIissd(dir string) {
	m, err := supervisor.New(supervisor.Config{StateDir: dir, Services: []supervisor.Service{
		// A service with a worker: the worker is in the group but not the
		// supervisor's child, so PDEATHSIG alone does not reach it.
		{Name: "web", Command: sh("sleep 600 & exec sleep 600"), StartSecs: -1},
		{Name: "stubborn", Command: sh("trap '' TERM; exec sleep 600"), StartSecs: -1},
	}})
	if err == nil {
		err = m.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.WriteFile(filepath.Join(dir, "ready"), []byte("ok"), 0o600)
	time.Sleep(10 * time.Minute)
}

func listenHelper(addr string) []string { return []string{os.Args[0], "-test.run=^$"} }

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestStartCheckOwnedByService is point 3: a start check passes only for
// the service's own listener; another process holding the address makes
// Start fail (with the service's exit code when it gives up, 1070 when
// it hangs), never S_OK.
func TestStartCheckOwnedByService(t *testing.T) {
	mine := freeAddr(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "mine", Command: listenHelper(mine), Env: []string{"SUPERVISOR_TEST_LISTEN=" + mine},
			StartCheck: mine, StartType: svc.DemandStart},
		{Name: "clash", Command: listenHelper(taken.Addr().String()), Env: []string{"SUPERVISOR_TEST_LISTEN=" + taken.Addr().String()},
			StartCheck: taken.Addr().String(), StartType: svc.DemandStart},
		{Name: "silent", Command: sh("exec sleep 600"), StartCheck: taken.Addr().String(),
			StartTimeout: 700 * time.Millisecond, StartType: svc.DemandStart},
	}})
	if err := m.StartService(ctxBound(t), "mine"); err != nil {
		t.Fatal("a service that listens itself:", err)
	}
	errClash := m.StartService(ctxBound(t), "clash")
	st := status(t, m, "clash")
	if errClash == nil || st.State != svc.Stopped || st.Win32ExitCode != svc.ExitServiceSpecificError || st.ServiceSpecificExitCode != 98 {
		t.Fatalf("clash: Start = %v, status %+v", errClash, st)
	}
	errSilent := m.StartService(ctxBound(t), "silent")
	st = status(t, m, "silent")
	if errSilent == nil || st.State != svc.Stopped || st.Win32ExitCode != svc.ExitServiceStartHang {
		t.Fatalf("silent: Start = %v, status %+v", errSilent, st)
	}
	t.Logf("Start when another process holds the check address: service exits -> %v; service keeps running -> %v (win32 %d)",
		errClash, errSilent, st.Win32ExitCode)
}

// groupProcs counts the live processes in the groups pgids.
func groupProcs(pgids map[int]bool) int {
	n := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[0] != "Z" {
			if g, _ := strconv.Atoi(f[2]); pgids[g] && pid > 0 {
				n++
			}
		}
	}
	return n
}

// TestKill9Leftovers is point 3: kill -9 of iissd. PDEATHSIG kills the
// services' main processes with it; the next Manager on the same state
// directory kills the rest (a service's own children); none remain.
func TestKill9Leftovers(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SUPERVISOR_TEST_IISSD="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitLines(t, filepath.Join(dir, "ready"), 1)
	b, err := os.ReadFile(filepath.Join(dir, "supervisor.pids"))
	if err != nil {
		t.Fatal(err)
	}
	pgids := map[int]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			pid, _ := strconv.Atoi(f[1])
			pgids[pid] = true
		}
	}
	if len(pgids) != 2 {
		t.Fatalf("pid file: %q", b)
	}
	deadline := time.Now().Add(bound)
	for groupProcs(pgids) < 3 && time.Now().Before(deadline) { // web's worker is forked by its shell
		time.Sleep(10 * time.Millisecond)
	}
	before := groupProcs(pgids)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// PDEATHSIG is asynchronous: give the kernel a moment.
	deadline = time.Now().Add(bound)
	for groupProcs(pgids) > 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	afterCrash := groupProcs(pgids)
	m, err := supervisor.New(supervisor.Config{StateDir: dir, Services: []supervisor.Service{{Name: "web", Command: sh("true")}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	afterRestart := groupProcs(pgids)
	t.Logf("kill -9 of iissd: %d service processes before, %d left after the crash (the main processes died with it), %d after the next start's scan",
		before, afterCrash, afterRestart)
	if before != 3 || afterCrash != 1 || afterRestart != 0 {
		t.Fatalf("processes: %d before, %d after the crash, %d after the scan; want 3, 1, 0", before, afterCrash, afterRestart)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "supervisor.pids")); len(b) != 0 {
		t.Fatalf("pid file not emptied: %q", b)
	}
}

// TestLeftoverScanSparesReusedPids: a recorded pid that now belongs to
// another process (different start time) is not signalled.
func TestLeftoverScanSparesReusedPids(t *testing.T) {
	dir := t.TempDir()
	other := exec.Command("sleep", "600")
	other.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer other.Process.Kill()
	pid := other.Process.Pid
	os.WriteFile(filepath.Join(dir, "supervisor.pids"), []byte(fmt.Sprintf("web %d 1\n", pid)), 0o600)
	m, err := supervisor.New(supervisor.Config{StateDir: dir, Services: []supervisor.Service{{Name: "web", Command: sh("true")}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		t.Fatal("the scan killed a process whose pid was reused")
	}
}
