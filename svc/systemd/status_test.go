package systemd

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
)

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		result          string
		status          int32
		win32, specific uint32
	}{
		{"success", 0, svc.ExitOK, 0},
		{"", 0, svc.ExitOK, 0},
		{"exit-code", 3, svc.ExitServiceSpecificError, 3},
		{"exit-code", 203, svc.ExitFileNotFound, 203},
		{"exit-code", 217, svc.ExitServiceLogonFailed, 217},
		{"signal", 9, svc.ExitProcessAborted, 9},
		{"core-dump", 11, svc.ExitProcessAborted, 11},
		{"watchdog", 6, svc.ExitProcessAborted, 6},
		{"oom-kill", 9, svc.ExitProcessAborted, 9},
		{"timeout", 0, svc.ExitServiceRequestTimeout, 0},
		{"start-limit-hit", 0, svc.ExitServiceNeverStarted, 0},
		{"resources", 0, svc.ExitServiceNeverStarted, 0},
		{"protocol", 0, svc.ExitProcessAborted, 0},
		{"exec-condition", 1, svc.ExitOK, 0},
	} {
		w, s := exitCodes(c.result, c.status)
		if w != c.win32 || s != c.specific {
			t.Errorf("%s/%d: %d/%d, want %d/%d", c.result, c.status, w, s, c.win32, c.specific)
		}
	}
}

func TestState(t *testing.T) {
	for active, want := range map[string]svc.State{
		"active": svc.Running, "reloading": svc.Running, "activating": svc.StartPending,
		"deactivating": svc.StopPending, "inactive": svc.Stopped, "failed": svc.Stopped,
		"maintenance": svc.Stopped, "": svc.Stopped,
	} {
		if got := state(active); got != want {
			t.Errorf("%q: %v, want %v", active, got, want)
		}
	}
}

func TestPendingCheckPointRises(t *testing.T) {
	since := time.Unix(1000, 0)
	last := uint32(0)
	for d := time.Duration(0); d < 5*time.Second; d += 300 * time.Millisecond {
		cp, hint := pending(since, 90*time.Second, since.Add(d))
		if cp < 1 || cp < last || hint != 90000 {
			t.Fatalf("after %v: CheckPoint %d (was %d) WaitHint %d", d, cp, last, hint)
		}
		last = cp
	}
	if last != 5 {
		t.Errorf("CheckPoint after 4.8 s = %d, want 5", last)
	}
	if cp, hint := pending(time.Time{}, usecDuration(^uint64(0)), since); cp != 1 || hint != ^uint32(0) {
		t.Errorf("no timestamp, infinite timeout: %d %d", cp, hint)
	}
}

func TestToStatus(t *testing.T) {
	names := map[string]string{"iis-web.service": "web", "iis-worker.service": "worker"}
	now := time.Unix(2000, 0)
	running := unitInfo{Unit: "iis-worker.service", Description: "Worker", LoadState: "loaded",
		ActiveState: "active", SubState: "running", MainPID: 42, Result: "success",
		StateChange: now.Add(-time.Minute), NRestarts: 2,
		Requires: []string{"basic.target", "iis-web.service"}}
	got := toStatus(running, member{"iis-worker.service", svc.AutoStart}, names, now)
	want := svc.Status{Name: "worker", DisplayName: "Worker", Type: svc.TypeOwnProcess, State: svc.Running,
		ControlsAccepted: svc.AcceptStop | svc.AcceptShutdown, ProcessID: 42, StartType: svc.AutoStart,
		Dependencies: []string{"web"}, Since: now.Add(-time.Minute), Restarts: 2, LogFile: "journalctl -u iis-worker.service"}
	if !equalStatus(got, want) {
		t.Errorf("running:\n got %+v\nwant %+v", got, want)
	}
	failed := unitInfo{Unit: "iis-web.service", LoadState: "loaded", ActiveState: "failed",
		Result: "exit-code", ExecMainStat: 3, MainPID: 0}
	got = toStatus(failed, member{"iis-web.service", svc.DemandStart}, names, now)
	if got.State != svc.Stopped || got.Win32ExitCode != 1066 || got.ServiceSpecificExitCode != 3 ||
		got.DisplayName != "web" || got.StartType != svc.DemandStart || got.ControlsAccepted != 0 {
		t.Errorf("failed: %+v", got)
	}
	stopping := unitInfo{ActiveState: "deactivating", MainPID: 7, ActiveExit: now.Add(-2500 * time.Millisecond),
		TimeoutStop: 30 * time.Second}
	got = toStatus(stopping, member{"iis-web.service", svc.AutoStart}, names, now)
	if got.State != svc.StopPending || got.CheckPoint != 3 || got.WaitHint != 30000 || got.ProcessID != 7 {
		t.Errorf("stopping: %+v", got)
	}
}

func TestStartTypeMaskedOrMissing(t *testing.T) {
	for _, u := range []unitInfo{{LoadState: "masked"}, {UnitFileState: "masked-runtime"}, {LoadState: "not-found"}} {
		if st := startType(u, svc.AutoStart); st != svc.Disabled {
			t.Errorf("%+v: %v, want disabled", u, st)
		}
	}
	missing := toStatus(unitInfo{LoadState: "not-found", ActiveState: "inactive"}, member{"x.service", svc.AutoStart}, nil, time.Now())
	if missing.Win32ExitCode != svc.ExitFileNotFound {
		t.Errorf("not-found unit: %+v", missing)
	}
}

func TestNames(t *testing.T) {
	c := Config{Prefix: "iis-"}
	for in, want := range map[string]string{"web": "iis-web.service", "iis-web.service": "iis-web.service",
		"ftp.socket": "ftp.socket", "w3.svc": "iis-w3.svc.service"} {
		if got := c.unitName(in); got != want {
			t.Errorf("unitName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := c.serviceName("iis-web.service"); got != "web" {
		t.Errorf("serviceName = %q", got)
	}
	if got := (Config{}).serviceName("ftp.socket"); got != "ftp.socket" {
		t.Errorf("serviceName = %q", got)
	}
}

func TestGroupMembers(t *testing.T) {
	got := groupMembers([]string{"b.service", "a.service", "x.socket"}, []string{"a.service", "c.service", "d.timer"})
	want := []member{{"a.service", svc.AutoStart}, {"b.service", svc.AutoStart}, {"c.service", svc.DemandStart}}
	if !slices.Equal(got, want) {
		t.Errorf("groupMembers = %v, want %v", got, want)
	}
}

func equalStatus(a, b svc.Status) bool {
	return reflect.DeepEqual(a, b)
}
