package supervisor_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
)

// lockedBuffer is a log destination safe for the supervisor's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLifecycleLog: a service that dies on its own is logged with its
// exit codes and its log file, and so is the restart the policy
// schedules; a Stop is logged as such.
func TestLifecycleLog(t *testing.T) {
	var logs lockedBuffer
	dir := t.TempDir()
	m := newManager(t, supervisor.Config{
		LogDir: dir,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Services: []supervisor.Service{
			{Name: "crash", Command: sh("exit 3"), StartSecs: -1, Restart: supervisor.RestartOnFailure, RestartDelay: time.Hour},
			{Name: "calm", Command: sh("exec sleep 30"), StartSecs: -1},
		},
	})
	if err := m.StartService(ctxBound(t), "calm"); err != nil {
		t.Fatal(err)
	}
	if err := m.StartService(ctxBound(t), "crash"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, m, "crash", func(s svc.Status) bool { return s.State == svc.Stopped })
	if err := m.StopService(ctxBound(t), "calm"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`level=INFO msg="service process started" service=crash`,
		`level=WARN msg="service exited on its own" service=crash`,
		"win32_exit_code=1066 service_exit_code=3",
		"log=" + filepath.Join(dir, "crash.log"),
		`level=WARN msg="service will be restarted" service=crash restart=on-failure in=30s`,
		`level=INFO msg="service stopped" service=calm`,
	}
	deadline := time.Now().Add(bound)
	for {
		missing := ""
		for _, w := range want {
			if !strings.Contains(logs.String(), w) {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", missing, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
