package svc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Proc is a process as Kill's extra-process matching sees it (the
// kill_extra list of [MS-IISS] 3.1.4.5).
type Proc struct {
	PID   int
	Comm  string // /proc/PID/comm (at most 15 bytes)
	Argv0 string // first word of /proc/PID/cmdline; empty for kernel threads
}

// Matches reports whether p is one of names, by comm or argv[0] base name.
func (p Proc) Matches(names []string) bool {
	for _, n := range names {
		if p.Comm == n || (p.Argv0 != "" && filepath.Base(p.Argv0) == n) {
			return true
		}
	}
	return false
}

// ScanProc lists the processes under root, a procfs mount ("" means
// /proc). Processes that vanish while it reads are skipped.
func ScanProc(root string) ([]Proc, error) {
	if root == "" {
		root = "/proc"
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("svc: scan %s: %w", root, err)
	}
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if p, ok := readProc(filepath.Join(root, e.Name()), pid); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

func readProc(dir string, pid int) (Proc, bool) {
	comm, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil {
		return Proc{}, false
	}
	cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	return Proc{PID: pid, Comm: strings.TrimSuffix(string(comm), "\n"), Argv0: argv0}, true
}

// KillNamed sends SIGKILL through signal to every process of procs named
// in names, never to this process or to PID 1. A process already gone is
// not an error.
func KillNamed(procs []Proc, names []string, signal func(int, syscall.Signal) error) error {
	self := os.Getpid()
	var errs []error
	for _, p := range procs {
		if p.PID == self || p.PID <= 1 || !p.Matches(names) {
			continue
		}
		if err := signal(p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("svc: kill %s (pid %d): %w", p.Comm, p.PID, err))
		}
	}
	return errors.Join(errs...)
}
