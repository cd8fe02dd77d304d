package main

import (
	"errors"
	"fmt"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/iisreset"
)

// Exit codes (see the package documentation and `iisctl help exit-codes`).
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitAuth        = 3
	ExitUnreachable = 4
	ExitTimeout     = 5
	ExitDisabled    = 6
	ExitNotImpl     = 7
)

// exitPriority ranks failures for a fleet: the highest wins.
var exitPriority = map[int]int{
	ExitOK: 0, ExitFailed: 1, ExitNotImpl: 2, ExitTimeout: 3,
	ExitDisabled: 4, ExitUnreachable: 5, ExitAuth: 6,
}

// worse returns whichever exit code wins.
func worse(a, b int) int {
	if exitPriority[b] > exitPriority[a] {
		return b
	}
	return a
}

// exitCodeOf classifies a host's error.
func exitCodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	switch h := iisreset.Code(err); h {
	case iiss.E_ACCESSDENIED, iisreset.ERROR_LOGON_FAILURE, iisreset.RPC_S_UNKNOWN_AUTHN_SERVICE:
		return ExitAuth
	case iisreset.RPC_S_SERVER_UNAVAILABLE, iisreset.RPC_S_CALL_FAILED, iisreset.RPC_S_CALL_FAILED_DNE,
		iisreset.RPC_S_SERVER_TOO_BUSY:
		return ExitUnreachable
	case iiss.ERROR_SERVICE_REQUEST_TIMEOUT, iiss.ERROR_SERVICE_REQUEST_TIMEOUT_ALT, iisreset.ERROR_TIMEOUT:
		return ExitTimeout
	case iiss.ERROR_RESOURCE_DISABLED:
		return ExitDisabled
	case iiss.E_NOTIMPL:
		return ExitNotImpl
	}
	return ExitFailed
}

// usageError is a command-line mistake: exit 2 with a pointer to help.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// exitError ends the command with code after its output was written.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// codeOf is the exit code of a command's error.
func codeOf(err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &ee):
		return ee.code
	}
	return ExitFailed
}
