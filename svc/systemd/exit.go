package systemd

import "github.com/iisctl/iisctl/svc"

// systemd's own exit statuses for a process that never ran its command
// (systemd.exec(5), "Process Exit Codes").
const (
	exitChdir = 200 // EXIT_CHDIR
	exitExec  = 203 // EXIT_EXEC: the command is missing or not executable
	exitGroup = 216 // EXIT_GROUP
	exitUser  = 217 // EXIT_USER
)

// exitCodes maps Service.Result and ExecMainStatus of a stopped unit onto
// dwWin32ExitCode and dwServiceSpecificExitCode (see the table in doc.go).
func exitCodes(result string, status int32) (win32, specific uint32) {
	switch result {
	case "", "success", "exec-condition":
		return svc.ExitOK, 0
	case "exit-code":
		return exitStatusCodes(status)
	case "signal", "core-dump", "watchdog", "oom-kill":
		return svc.ExitProcessAborted, uint32(status)
	case "timeout":
		return svc.ExitServiceRequestTimeout, 0
	case "start-limit-hit", "resources":
		return svc.ExitServiceNeverStarted, 0
	default: // protocol, condition, and results added after systemd 252
		return svc.ExitProcessAborted, 0
	}
}

// exitStatusCodes maps Result=exit-code: the service's own status is
// service specific, except systemd's exec-setup failures.
func exitStatusCodes(status int32) (win32, specific uint32) {
	switch status {
	case exitExec, exitChdir:
		return svc.ExitFileNotFound, uint32(status)
	case exitUser, exitGroup:
		return svc.ExitServiceLogonFailed, uint32(status)
	}
	return svc.ExitServiceSpecificError, uint32(status)
}
