package systemd

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
)

// fakeProc builds a /proc with the given pid -> (comm, argv0) entries.
func fakeProc(t *testing.T, procs map[int][2]string) string {
	t.Helper()
	root := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(pid))
		must(t, os.Mkdir(dir, 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "comm"), []byte(p[0]+"\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(p[1]+"\x00--flag\x00"), 0o644))
	}
	must(t, os.Mkdir(filepath.Join(root, "self"), 0o755))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestKillNamed(t *testing.T) {
	root := fakeProc(t, map[int][2]string{
		101:         {"w3wp", "/usr/bin/w3wp"},
		102:         {"inetinfo-long-n", "/opt/iis/inetinfo-long-name"}, // comm truncated to 15
		103:         {"bash", "/bin/bash"},
		104:         {"python3", "/usr/bin/python3"},
		os.Getpid(): {"w3wp", "w3wp"}, // never ourselves
	})
	var killed []int
	sig := func(pid int, s syscall.Signal) error {
		if s != syscall.SIGKILL {
			t.Errorf("signal %v", s)
		}
		killed = append(killed, pid)
		if pid == 101 {
			return syscall.ESRCH // gone meanwhile: not an error
		}
		return nil
	}
	if err := killNamed(root, []string{"w3wp", "inetinfo-long-name"}, sig); err != nil {
		t.Fatal(err)
	}
	slices.Sort(killed)
	if !slices.Equal(killed, []int{101, 102}) {
		t.Errorf("killed %v, want [101 102]", killed)
	}
}

func TestKillNamedErrors(t *testing.T) {
	if err := killNamed("/nonexistent-proc", []string{"x"}, nil); err == nil {
		t.Error("missing proc root: no error")
	}
	if err := killNamed("/nonexistent-proc", nil, nil); err != nil {
		t.Errorf("no names: %v", err)
	}
	root := fakeProc(t, map[int][2]string{5: {"x", "x"}})
	err := killNamed(root, []string{"x"}, func(int, syscall.Signal) error { return syscall.EPERM })
	if err == nil {
		t.Error("EPERM not reported")
	}
}
