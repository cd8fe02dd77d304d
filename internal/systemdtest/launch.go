package systemdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// inner runs inside the new mount namespace and becomes the manager:
// join the cgroup subtree, fake a booted system (systemd --user exits
// unless /run/systemd/system exists) on a namespace-private tmpfs, send
// early fatal errors (written to /dev/console) to the log, exec systemd.
// Arguments: $1 log file, $2 systemd binary, then the cgroup directories.
const inner = `set -e
log=$1 systemd=$2; shift 2
for c in "$@"; do echo $$ > "$c/cgroup.procs"; done
if [ -d /run/systemd ]; then mount -t tmpfs -o mode=755 systemdtest /run/systemd
else mount -t tmpfs -o mode=755 systemdtest /run; fi
mkdir -p /run/systemd/system
mount --bind "$log" /dev/console 2>/dev/null || true
exec "$systemd" --user --default-standard-output=inherit --default-standard-error=inherit
`

// launch starts the manager in its own session, mount namespace and
// cgroup subtree. If the test binary dies, the manager gets SIGTERM.
func (s *Sandbox) launch(t tools) error {
	s.cgroups = cgroupDirs(filepath.Base(s.Dir))
	if err := makeCgroups(s.cgroups); err != nil {
		return err
	}
	log, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("systemdtest: %w", err)
	}
	defer log.Close()
	args := append([]string{"--mount", "--propagation", "private", "/bin/sh", "-c", inner, "sh",
		s.logPath(), t.systemd}, s.cgroups...)
	cmd := exec.Command(t.unshare, args...)
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("systemdtest: start manager: %w", err)
	}
	s.PID = cmd.Process.Pid // unshare and sh exec, so this is systemd
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	return nil
}

func (s *Sandbox) env() []string {
	return []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG=C.UTF-8",
		"HOME=" + filepath.Join(s.Dir, "home"),
		"XDG_RUNTIME_DIR=" + s.RuntimeDir,
		"DBUS_SESSION_BUS_ADDRESS=" + s.BusAddress,
		"SYSTEMD_UNIT_PATH=" + s.UnitDir + ":" + userUnitDir,
		"SYSTEMD_LOG_TARGET=console",
		"SYSTEMD_LOG_LEVEL=" + logLevel(),
	}
}

// envLogLevel sets the manager's log level (default info).
const envLogLevel = "SYSTEMDTEST_LOG_LEVEL"

func logLevel() string {
	if l := os.Getenv(envLogLevel); l != "" {
		return l
	}
	return "info"
}
