package supervisor_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
)

func TestStubbornEscalatesAtStopTimeout(t *testing.T) {
	clk := newFakeClock()
	ready := filepath.Join(t.TempDir(), "ready")
	m := newManager(t, supervisor.Config{Clock: clk, Services: []supervisor.Service{{
		Name: "stubborn", Command: sh("trap '' TERM; echo ready > " + ready + "; exec sleep 600"),
		StartSecs: -1, StopTimeout: 10 * time.Second,
	}}})
	if err := m.Start(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	waitLines(t, ready, 1) // SIGTERM is ignored from here on
	pid := status(t, m, "stubborn").ProcessID
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := m.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want DeadlineExceeded", err)
	}
	s := status(t, m, "stubborn")
	if s.State != svc.StopPending || s.CheckPoint != 1 || s.WaitHint != 10000 || s.ProcessID != pid {
		t.Fatalf("after timed-out Stop: %+v", s)
	}
	clk.Advance(time.Second)
	if cp := status(t, m, "stubborn").CheckPoint; cp <= 1 {
		t.Fatalf("CheckPoint %d did not rise after 1s", cp)
	}
	clk.Advance(9 * time.Second) // StopTimeout: SIGKILL to the group
	s = waitStatus(t, m, "stubborn", isStopped)
	if s.Win32ExitCode != svc.ExitOK || s.ProcessID != 0 {
		t.Fatalf("after escalation: %+v", s)
	}
}

func TestExitCodes(t *testing.T) {
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "exits3", Command: sh("exit 3"), StartSecs: -1},
		{Name: "aborted", Command: sh("kill -KILL $$"), StartSecs: -1},
		{Name: "clean", Command: sh("exit 0"), StartSecs: -1},
		{Name: "missing", Command: []string{"/nonexistent/iisctl-no-such-command"}},
		{Name: "notinpath", Command: []string{"iisctl-no-such-command"}},
	}})
	err := m.Start(ctxBound(t))
	if err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "notinpath") {
		t.Fatalf("Start = %v, want errors for missing and notinpath", err)
	}
	want := map[string][2]uint32{
		"exits3": {svc.ExitServiceSpecificError, 3}, "aborted": {svc.ExitProcessAborted, 0}, "clean": {svc.ExitOK, 0},
		"missing": {svc.ExitFileNotFound, 0}, "notinpath": {svc.ExitFileNotFound, 0},
	}
	for name, w := range want {
		s := waitStatus(t, m, name, isStopped)
		if s.Win32ExitCode != w[0] || s.ServiceSpecificExitCode != w[1] {
			t.Errorf("%s: exit %d/%d, want %d/%d", name, s.Win32ExitCode, s.ServiceSpecificExitCode, w[0], w[1])
		}
	}
}

func TestCrashWhileStartingFailsDependents(t *testing.T) {
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "crash", Command: sh("exit 4"), StartSecs: time.Second},
		{Name: "dependent", Command: sh("exec sleep 600"), DependsOn: []string{"crash"}},
		{Name: "other", Command: sh("exec sleep 600"), StartSecs: -1},
	}})
	err := m.Start(ctxBound(t))
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start = %v, want a crash error", err)
	}
	if s := status(t, m, "crash"); s.State != svc.Stopped || s.Win32ExitCode != 1066 || s.ServiceSpecificExitCode != 4 {
		t.Errorf("crash: %+v", s)
	}
	if s := status(t, m, "dependent"); s.State != svc.Stopped || s.Win32ExitCode != svc.ExitServiceDependencyFail {
		t.Errorf("dependent: %+v", s)
	}
	if s := status(t, m, "other"); s.State != svc.Running {
		t.Errorf("other: %v, want Running despite the crash", s.State)
	}
}

// orderScript records "start NAME" when started and "stop NAME" on SIGTERM.
func orderScript(file, name string) []string {
	return sh("trap 'echo stop " + name + " >> " + file + "; exit 0' TERM; echo start " + name + " >> " + file +
		"; sleep 600 & wait")
}

func TestDependencyOrder(t *testing.T) {
	clk := newFakeClock() // start windows end only when the test says so
	file := filepath.Join(t.TempDir(), "order")
	svcOf := func(name string, deps ...string) supervisor.Service {
		return supervisor.Service{Name: name, Command: orderScript(file, name), DependsOn: deps, StartSecs: time.Second}
	}
	// Listed dependents first, so configuration order cannot be what orders them.
	m := newManager(t, supervisor.Config{Clock: clk, Services: []supervisor.Service{
		svcOf("c", "b"), svcOf("b", "a"), svcOf("a"), svcOf("solo"),
	}})
	errc := make(chan error, 1)
	go func() { errc <- m.Start(ctxBound(t)) }()
	launched := 0
	for i, step := range [][]string{{"a", "solo"}, {"b"}, {"c"}} {
		for _, n := range step {
			waitStatus(t, m, n, func(s svc.Status) bool { return s.State == svc.StartPending })
		}
		launched += len(step)
		lines := pairs(waitLines(t, file, 2*launched)) // their traps are set
		for _, later := range []string{"a", "b", "c"}[i+len(step)-1:] {
			if slices.Contains(lines, "start "+later) && !slices.Contains(step, later) {
				t.Fatalf("step %d: %s started early: %q", i, later, lines)
			}
		}
		clk.Advance(time.Second)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	lines := pairs(waitLines(t, file, 8*2))
	for _, before := range [][2]string{{"stop c", "stop b"}, {"stop b", "stop a"}} {
		if i := slices.Index(lines, before[0]); i < 0 || i > slices.Index(lines, before[1]) {
			t.Errorf("%q not before %q in %q", before[0], before[1], lines)
		}
	}
	for _, n := range []string{"a", "b", "c", "solo"} {
		if s := status(t, m, n); s.State != svc.Stopped || s.Win32ExitCode != 0 {
			t.Errorf("%s: %+v", n, s)
		}
	}
}

func pairs(words []string) []string {
	var out []string
	for i := 0; i+1 < len(words); i += 2 {
		out = append(out, words[i]+" "+words[i+1])
	}
	return out
}

func TestStartServiceStopService(t *testing.T) {
	m := newManager(t, supervisor.Config{Services: []supervisor.Service{
		{Name: "base", Command: sh("exec sleep 600"), StartType: svc.DemandStart, StartSecs: -1},
		{Name: "top", Command: sh("exec sleep 600"), StartType: svc.DemandStart, StartSecs: -1, DependsOn: []string{"base"}},
		{Name: "off", Command: sh("exec sleep 600"), StartType: svc.Disabled},
	}})
	if err := m.Start(ctxBound(t)); err != nil {
		t.Fatal(err)
	}
	if status(t, m, "base").State != svc.Stopped {
		t.Fatal("Start started a demand-start service")
	}
	if err := m.StartService(ctxBound(t), "top"); err != nil {
		t.Fatal(err)
	}
	if status(t, m, "base").State != svc.Running || status(t, m, "top").State != svc.Running {
		t.Fatal("StartService(top) did not start top and base")
	}
	if err := m.StopService(ctxBound(t), "base"); err != nil {
		t.Fatal(err)
	}
	if status(t, m, "top").State != svc.Stopped {
		t.Fatal("StopService(base) left its dependent running")
	}
	if err := m.StartService(ctxBound(t), "off"); err == nil || status(t, m, "off").Win32ExitCode != svc.ExitServiceDisabled {
		t.Fatalf("StartService(disabled) = %v", err)
	}
	if err := m.StartService(ctxBound(t), "nope"); !errors.Is(err, svc.ErrUnknownService) {
		t.Fatalf("StartService(unknown) = %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	cmd := sh("true")
	for name, services := range map[string][]supervisor.Service{
		"unknown dep": {{Name: "a", Command: cmd, DependsOn: []string{"x"}}},
		"cycle": {{Name: "a", Command: cmd, DependsOn: []string{"b"}}, {Name: "b", Command: cmd, DependsOn: []string{"c"}},
			{Name: "c", Command: cmd, DependsOn: []string{"a"}}},
		"self":          {{Name: "a", Command: cmd, DependsOn: []string{"a"}}},
		"duplicate":     {{Name: "a", Command: cmd}, {Name: "a", Command: cmd}},
		"empty command": {{Name: "a"}},
		"no name":       {{Command: cmd}},
	} {
		if _, err := supervisor.New(supervisor.Config{Services: services}); err == nil {
			t.Errorf("%s: New accepted %+v", name, services)
		}
	}
}

func TestUser(t *testing.T) {
	if os.Geteuid() != 0 {
		_, err := supervisor.New(supervisor.Config{Services: []supervisor.Service{{Name: "a", Command: sh("true"), User: "nobody"}}})
		if err == nil || !strings.Contains(err.Error(), "root") {
			t.Fatalf("New with User as non-root = %v", err)
		}
		return
	}
	dir := t.TempDir()
	m := newManager(t, supervisor.Config{LogDir: dir, Services: []supervisor.Service{
		{Name: "asnobody", Command: sh("id -u; exec sleep 600"), User: "nobody", StartSecs: -1},
		{Name: "ghost", Command: sh("true"), User: "iisctl-no-such-user"},
	}})
	if err := m.Start(ctxBound(t)); err == nil {
		t.Fatal("Start with an unknown user succeeded")
	}
	if s := status(t, m, "ghost"); s.Win32ExitCode != svc.ExitServiceLogonFailed {
		t.Errorf("ghost: %+v", s)
	}
	if got := waitLines(t, filepath.Join(dir, "asnobody.log"), 1)[0]; got == "0" {
		t.Errorf("asnobody runs as uid %s", got)
	}
}
