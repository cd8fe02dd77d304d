package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/iisreset"
	"github.com/iisctl/iisctl/rpc"
)

// hint tells the user what to do about r's failure.
func hint(o *ActionOptions, r hostResult) string {
	if h, ok := serviceTimeoutHint(r.Target, r.Err, o.stepTimeout(r.Step), r.CallDur, "--timeout"); ok {
		return h
	}
	return hintFor(r.Target, r.Err, o.Conn, o.stepTimeout(r.Step))
}

// serviceTimeoutHint explains ERROR_SERVICE_REQUEST_TIMEOUT, which
// Windows and iissd answer both when the services ran out of time and
// when one failed at once (it exited, its start check failed): only the
// first deserves a larger timeout, named as the mode takes it (--timeout
// or iisreset's /TIMEOUT:seconds). elapsed is how long the call took.
func serviceTimeoutHint(t Target, err error, timeout, elapsed time.Duration, flag string) (string, bool) {
	switch iisreset.Code(err) {
	case iiss.ERROR_SERVICE_REQUEST_TIMEOUT, iiss.ERROR_SERVICE_REQUEST_TIMEOUT_ALT:
	default:
		return "", false
	}
	if elapsed >= timeout {
		more := suggestTimeout(timeout)
		example := fmt.Sprintf("%s %v", flag, more)
		if flag == "/TIMEOUT" {
			example = fmt.Sprintf("/TIMEOUT:%d", int(more.Seconds()))
		}
		return fmt.Sprintf("the services on %s did not finish within %v; allow more with %s (e.g. %s).",
			t, timeout, flag, example), true
	}
	return fmt.Sprintf("a service on %s failed after %v, before the %v timeout (it exited, or its start check failed): "+
		"'iisctl status %s' shows each service's exit code; iissd logs each exit with the service's log file "+
		"(on Windows, see the System event log).", t, elapsed.Round(time.Millisecond), timeout, t), true
}

// stepTimeout is the server-side timeout of o.Op, or of its step.
func (o *ActionOptions) stepTimeout(step string) time.Duration {
	ro := o.resetOptions()
	switch {
	case o.Op == OpStart || step == "start":
		return ro.StartTimeout()
	case o.Op == OpReboot:
		return o.rebootTimeout()
	}
	return ro.StopTimeout()
}

// hintFor explains err, or returns "" when there is nothing to add: which right is missing, which port is closed,
// which flag to change.
func hintFor(t Target, err error, c ConnOptions, timeout time.Duration) string {
	var fe *rpc.FaultError
	if errors.As(err, &fe) && fe.Status == rpc.StatusAccessDenied {
		// An RPC-level denial: the NTLM logon (auth3) or the authentication
		// level was refused before any DCOM call ran ([MS-RPCE] 3.3.1.5.2.1).
		return fmt.Sprintf("%s refused the logon: check the user name, the domain (-u DOMAIN\\USER), the password "+
			"or --hashes, and that --auth-level %s is allowed (iissd requires privacy by default).", t, levelName(c.AuthLevel))
	}
	switch h := iisreset.Code(err); h {
	case iiss.E_ACCESSDENIED:
		return fmt.Sprintf("%s accepted the logon but refused the call: the account must be in the server's "+
			"Administrators group (or a domain administrator) on Windows, or have the admin role in iissd's users file.", t)
	case iisreset.ERROR_LOGON_FAILURE:
		return fmt.Sprintf("the logon to %s failed: check the user name, the domain (-u DOMAIN\\USER) "+
			"and the password or --hashes.", t)
	case iisreset.RPC_S_UNKNOWN_AUTHN_SERVICE:
		return fmt.Sprintf("%s does not accept --auth %s; try --auth ntlm or --auth spnego.", t, authName(c.AuthType))
	case iisreset.RPC_S_SERVER_UNAVAILABLE, iisreset.RPC_S_SERVER_TOO_BUSY:
		return fmt.Sprintf("could not reach %s on TCP port %d (DCOM activation): check the host is up and that "+
			"firewalls allow port %d and the object's port (a dynamic port, 49152-65535 on Windows; "+
			"iissd uses a fixed one when [listen] object is set in iissd.toml).", t.Host, t.Port, t.Port)
	case iisreset.RPC_S_CALL_FAILED, iisreset.RPC_S_CALL_FAILED_DNE:
		return fmt.Sprintf("the connection to %s broke: a firewall may block the object's port "+
			"(dynamic on Windows; [listen] object in iissd.toml), or the server stopped.", t)
	case iiss.ERROR_SERVICE_REQUEST_TIMEOUT, iiss.ERROR_SERVICE_REQUEST_TIMEOUT_ALT, iisreset.ERROR_TIMEOUT:
		return fmt.Sprintf("the services on %s did not finish within %v; allow more with --timeout (e.g. --timeout %v).",
			t, timeout, suggestTimeout(timeout))
	case iiss.ERROR_RESOURCE_DISABLED:
		return fmt.Sprintf("remote control is disabled on %s; run iisreset /enable on that computer to allow it.", t)
	case iiss.E_NOTIMPL:
		return fmt.Sprintf("%s does not implement this call: Windows answers E_NOTIMPL to Reboot; "+
			"iissd reboots only with [control] reboot = true.", t)
	}
	return ""
}

func suggestTimeout(d time.Duration) time.Duration {
	if d < time.Minute {
		return 2 * time.Minute
	}
	return 2 * d
}

func authName(a AuthType) string {
	if a == AuthSPNEGO {
		return "spnego"
	}
	return "ntlm"
}

func levelName(l AuthLevel) string {
	switch l {
	case AuthLevelConnect:
		return "connect"
	case AuthLevelIntegrity:
		return "integrity"
	}
	return "privacy"
}
