package svctest

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// waitExec waits until the process of s runs the program comm (the shell
// has exec'd it), unless processes are simulated.
func (h Harness) waitExec(t *testing.T, s svc.Status, comm string) {
	t.Helper()
	if h.SimulatedProcesses {
		return
	}
	file := "/proc/" + strconv.FormatUint(uint64(s.ProcessID), 10) + "/comm"
	deadline := time.Now().Add(opWait)
	for {
		b, err := os.ReadFile(file)
		if err == nil && strings.TrimSpace(string(b)) == comm {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: pid %d is not running %s after %v (%v %q)", s.Name, s.ProcessID, comm, opWait, err, b)
		}
		time.Sleep(pollEvery)
	}
}

// checkGone fails if the process s had still exists, unless processes
// are simulated.
func (h Harness) checkGone(t *testing.T, s svc.Status) {
	t.Helper()
	if h.SimulatedProcesses || s.ProcessID == 0 {
		return
	}
	if err := syscall.Kill(int(s.ProcessID), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("%s: pid %d still exists after Kill (%v)", s.Name, s.ProcessID, err)
	}
}
