package systemd

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
)

var execStart = regexp.MustCompile(`(?m)^ExecStart=.*$`)

// TestExampleUnits loads example/ into a real systemd (commands replaced
// by sleep, Type=notify by exec) and checks what its README promises.
func TestExampleUnits(t *testing.T) {
	g := newGroup(t)
	files, err := filepath.Glob("example/iis*")
	must(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		text := execStart.ReplaceAllString(string(b), "ExecStart=/bin/sleep 600")
		text = strings.ReplaceAll(text, "Type=notify", "Type=exec")
		must(t, g.sb.WriteUnit(filepath.Base(f), text))
	}
	for _, u := range []string{"iis-was.service", "iis-w3svc.service"} {
		must(t, g.sb.Enable("iis.target", u))
	}
	g.reload(t)
	m := g.manager(t, Config{Target: "iis.target", Prefix: "iis-"})
	cleanupKill(t, m)

	var got []string
	for _, s := range statusList(t, m) {
		got = append(got, s.Name+":"+s.StartType.String()+":"+strings.Join(s.Dependencies, ","))
	}
	if want := []string{"ftpsvc:demand:", "w3svc:auto:was", "was:auto:"}; !slices.Equal(got, want) {
		t.Errorf("example services %v, want %v", got, want)
	}
	must(t, m.Start(ctxFor(t, 5*time.Second)))
	st := statusOf(t, m)
	if st["was"].State != svc.Running || st["w3svc"].State != svc.Running || st["ftpsvc"].State != svc.Stopped {
		t.Errorf("after Start: %+v", st)
	}
	must(t, m.Stop(ctxFor(t, 5*time.Second)))
	for name, s := range statusOf(t, m) {
		if s.State != svc.Stopped || s.Win32ExitCode != 0 {
			t.Errorf("%s after Stop: %+v", name, s)
		}
	}
}

func statusList(t *testing.T, m *Manager) []svc.Status {
	t.Helper()
	st, err := m.Services(ctxFor(t, 5*time.Second))
	must(t, err)
	return st
}
