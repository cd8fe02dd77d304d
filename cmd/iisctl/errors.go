package main

import (
	"errors"
	"fmt"

	"github.com/iisctl/iisctl/iiss"
)

// Exit codes (see the package documentation and `iisctl help exit-codes`).
// Each kind of failure the library tells apart ([iiss.Kind]) has its own.
const (
	ExitOK           = 0
	ExitFailed       = 1
	ExitUsage        = 2
	ExitAuth         = 3  // logon failure, access denied, authentication refused
	ExitUnreachable  = 4  // connection refused, no route to the host
	ExitTimeout      = 5  // the services did not finish in time
	ExitDisabled     = 6  // remote control disabled on the server
	ExitNotImpl      = 7  // E_NOTIMPL (Windows' answer to Reboot)
	ExitHostNotFound = 8  // the host name does not resolve
	ExitDialTimeout  = 9  // no answer while connecting within --dial-timeout
	ExitClosed       = 10 // the server closed the connection (or refused it at its limit)
	ExitNotRPC       = 11 // the port does not speak DCE/RPC (a web server, ...)
	ExitWrongPort    = 12 // a DCE/RPC port without DCOM activation (the object port?)
)

// exitCodes maps each kind of failure to its exit code; kinds not listed
// are ExitFailed.
var exitCodes = map[iiss.Kind]int{
	iiss.KindNone:             ExitOK,
	iiss.KindLogonFailure:     ExitAuth,
	iiss.KindAccessDenied:     ExitAuth,
	iiss.KindAuthNotSupported: ExitAuth,
	iiss.KindUnreachable:      ExitUnreachable,
	iiss.KindTimeout:          ExitTimeout,
	iiss.KindDisabled:         ExitDisabled,
	iiss.KindNotImplemented:   ExitNotImpl,
	iiss.KindHostNotFound:     ExitHostNotFound,
	iiss.KindDialTimeout:      ExitDialTimeout,
	iiss.KindClosed:           ExitClosed,
	iiss.KindBusy:             ExitClosed,
	iiss.KindNotRPC:           ExitNotRPC,
	iiss.KindWrongPort:        ExitWrongPort,
}

// exitPriority ranks failures for a fleet: the highest wins; a problem
// with the account, then with reaching the host, before one with a server.
var exitPriority = map[int]int{
	ExitOK: 0, ExitFailed: 1, ExitNotImpl: 2, ExitTimeout: 3, ExitDisabled: 4,
	ExitUnreachable: 5, ExitHostNotFound: 5, ExitDialTimeout: 5, ExitClosed: 5, ExitNotRPC: 5, ExitWrongPort: 5,
	ExitAuth: 6,
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
	if code, ok := exitCodes[iiss.Classify(err)]; ok {
		return code
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
