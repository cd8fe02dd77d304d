package systemd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// killNamed sends SIGKILL to every process under root (a /proc) whose
// comm or argv[0] base name is one of names, except this process.
func killNamed(root string, names []string, signal func(int, syscall.Signal) error) error {
	if len(names) == 0 {
		return nil
	}
	pids, err := findNamed(root, names)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, pid := range pids {
		if err := signal(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("systemd: kill pid %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}

// findNamed lists the PIDs under root whose process name is in names.
func findNamed(root string, names []string) ([]int, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("systemd: scan %s: %w", root, err)
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if matches(filepath.Join(root, e.Name()), want) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// matches reads a /proc/PID directory; a process that vanished does not
// match.
func matches(dir string, want map[string]bool) bool {
	if comm, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		if want[strings.TrimSuffix(string(comm), "\n")] {
			return true
		}
	}
	cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil || len(cmdline) == 0 {
		return false
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	return argv0 != "" && want[filepath.Base(argv0)]
}
