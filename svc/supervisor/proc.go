package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iisctl/iisctl/svc"
)

// errorAccessDenied is ERROR_ACCESS_DENIED: the command is not executable.
const errorAccessDenied uint32 = 5

// prepared is a command ready to start, or why it cannot be.
type prepared struct {
	cmd  *exec.Cmd
	log  *os.File
	code uint32 // Win32 exit code when err != nil
	err  error
}

// prepare builds the command of c: own process group, environment,
// directory, credentials and log file. It does not start it.
func prepare(c Service) prepared {
	cmd := exec.Command(c.Command[0], c.Command[1:]...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	// Own group; SIGKILL when iissd dies (contain.go).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if c.User != "" {
		cred, err := credential(c.User)
		if err != nil {
			return prepared{code: svc.ExitServiceLogonFailed, err: err}
		}
		cmd.SysProcAttr.Credential = cred
	}
	p := prepared{cmd: cmd}
	if c.LogDir != "" {
		f, err := os.OpenFile(c.logFile(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return prepared{code: launchCode(err), err: err}
		}
		cmd.Stdout, cmd.Stderr, p.log = f, f, f
	}
	return p
}

// closeLog closes the parent's copy of the log file; the child has its own.
func (p prepared) closeLog() {
	if p.log != nil {
		p.log.Close()
	}
}

// start starts the command and records the error's Win32 code.
func (p *prepared) start() {
	if p.err == nil {
		p.err = p.cmd.Start()
		p.code = launchCode(p.err)
	}
}

// launchCode maps a failure to start a process to a Win32 exit code:
// missing command or directory -> ERROR_FILE_NOT_FOUND (2), not
// executable -> ERROR_ACCESS_DENIED (5), anything else -> 1067.
func launchCode(err error) uint32 {
	switch {
	case err == nil:
		return svc.ExitOK
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return svc.ExitFileNotFound
	case errors.Is(err, fs.ErrPermission):
		return errorAccessDenied
	}
	return svc.ExitProcessAborted
}

// credential resolves a user name (or numeric uid) with its groups.
func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return nil, fmt.Errorf("user %s: %w", name, err)
		}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user %s: %w", name, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	ids, _ := u.GroupIds()
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			cred.Groups = append(cred.Groups, uint32(g))
		}
	}
	return cred, nil
}

// exitCodes maps how a run ended to Win32ExitCode and
// ServiceSpecificExitCode.
func exitCodes(r *run) (win32, specific uint32) {
	ws, _ := r.cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case r.hung:
		return svc.ExitServiceStartHang, 0
	case ws.Signaled() && r.signaled:
		return svc.ExitOK, 0
	case ws.Signaled():
		return svc.ExitProcessAborted, 0
	case ws.ExitStatus() == 0:
		return svc.ExitOK, 0
	}
	return svc.ExitServiceSpecificError, uint32(ws.ExitStatus())
}

// waitExited blocks until pid has exited without reaping it: while the
// zombie lingers its process group id cannot be reused, so the group can
// still be signalled safely.
func waitExited(pid int) {
	var info unix.Siginfo
	for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
	}
}

// sleep waits d on the Manager's clock; false if ctx ends first.
func (m *Manager) sleep(ctx context.Context, d time.Duration) bool {
	wake := make(chan struct{})
	t := m.clock.AfterFunc(d, func() { close(wake) })
	defer t.Stop()
	select {
	case <-wake:
		return true
	case <-ctx.Done():
		return false
	}
}
