package systemdtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const cgroupRoot = "/sys/fs/cgroup"

// cgroupDirs picks the directories of a new subtree called name: the
// unified hierarchy (pure v2), or both the v2 and name=systemd trees
// (hybrid), or the name=systemd tree alone (legacy v1).
func cgroupDirs(name string) []string {
	switch {
	case fsType(cgroupRoot) == "cgroup2":
		return []string{filepath.Join(cgroupRoot, name)}
	case fsType(cgroupRoot+"/unified") == "cgroup2":
		return []string{filepath.Join(cgroupRoot, "unified", name), filepath.Join(cgroupRoot, "systemd", name)}
	}
	return []string{filepath.Join(cgroupRoot, "systemd", name)}
}

const cgroup2Magic = 0x63677270

func fsType(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return ""
	}
	if st.Type == cgroup2Magic {
		return "cgroup2"
	}
	return "other"
}

func makeCgroups(dirs []string) error {
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("systemdtest: cgroup: %w", err)
		}
	}
	return nil
}

// cgroupPIDs lists every process in the subtree under dir.
func cgroupPIDs(dir string) []int {
	var pids []int
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	slices.Sort(pids)
	return slices.Compact(pids)
}

// killCgroup SIGKILLs what is left in the subtree until it is empty,
// for at most d.
func killCgroup(dir string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		pids := cgroupPIDs(dir)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("systemdtest: processes still in %s: %v", dir, pids)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// removeCgroups removes the (empty) subtrees, deepest first.
func removeCgroups(dirs []string) error {
	var errs []error
	for _, d := range dirs {
		var sub []string
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				sub = append(sub, p)
			}
			return nil
		})
		slices.Reverse(sub)
		for _, s := range sub {
			if err := syscall.Rmdir(s); err != nil && !errors.Is(err, syscall.ENOENT) {
				errs = append(errs, fmt.Errorf("systemdtest: rmdir %s: %w", s, err))
			}
		}
	}
	return errors.Join(errs...)
}
