package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Proc is a process as Kill's KillExtra matching sees it.
type Proc struct {
	PID   int
	Comm  string // /proc/PID/comm (at most 15 bytes)
	Argv0 string // first word of /proc/PID/cmdline
}

// ScanProc lists the processes in /proc. Processes that vanish while it
// reads are skipped.
func ScanProc() ([]Proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func readProc(pid int) (Proc, bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	comm, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil {
		return Proc{}, false
	}
	cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline")) // empty for kernel threads
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	return Proc{PID: pid, Comm: strings.TrimSuffix(string(comm), "\n"), Argv0: argv0}, true
}

// matches reports whether p is named name: by comm or argv[0] basename.
func (p Proc) matches(name string) bool {
	return p.Comm == name || (p.Argv0 != "" && filepath.Base(p.Argv0) == name)
}

// killExtraProcs SIGKILLs the processes named in KillExtra, never iissd.
func (m *Manager) killExtraProcs() error {
	if len(m.killExtra) == 0 {
		return nil
	}
	procs, err := m.listProcs()
	if err != nil {
		return fmt.Errorf("supervisor: kill extra processes: %w", err)
	}
	self := os.Getpid()
	var errs []error
	for _, p := range procs {
		if p.PID == self || p.PID <= 1 || !matchesAny(p, m.killExtra) {
			continue
		}
		if err := m.signal(p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("supervisor: kill %s (pid %d): %w", p.Comm, p.PID, err))
		}
	}
	return errors.Join(errs...)
}

func matchesAny(p Proc, names []string) bool {
	for _, n := range names {
		if p.matches(n) {
			return true
		}
	}
	return false
}
