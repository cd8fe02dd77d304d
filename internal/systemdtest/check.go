package systemdtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// systemdPaths are where distributions install the manager binary.
var systemdPaths = []string{"/lib/systemd/systemd", "/usr/lib/systemd/systemd"}

// userUnitDir holds the stock user units (dbus.socket, default.target).
const userUnitDir = "/usr/lib/systemd/user"

// tools are the programs a sandbox needs, found by Available.
type tools struct {
	systemd string
	unshare string
}

// Available reports why a sandbox cannot run here, or nil.
func Available() error {
	_, err := findTools()
	return err
}

// EnvDisable, set to 1, makes Available fail: to exercise the skip path.
const EnvDisable = "SYSTEMDTEST_DISABLE"

func findTools() (tools, error) {
	if os.Getenv(EnvDisable) == "1" {
		return tools{}, errors.New("systemdtest: disabled by " + EnvDisable + "=1")
	}
	if os.Geteuid() != 0 {
		return tools{}, errors.New("systemdtest: needs root (mount namespace, cgroups)")
	}
	var t tools
	for _, p := range systemdPaths {
		if isExecutable(p) {
			t.systemd = p
			break
		}
	}
	if t.systemd == "" {
		return tools{}, fmt.Errorf("systemdtest: no systemd binary in %v", systemdPaths)
	}
	u, err := exec.LookPath("unshare")
	if err != nil {
		return tools{}, fmt.Errorf("systemdtest: %w", err)
	}
	t.unshare = u
	if _, err := os.Stat(userUnitDir + "/dbus.socket"); err != nil {
		return tools{}, fmt.Errorf("systemdtest: no user bus unit: %w", err)
	}
	return t, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
