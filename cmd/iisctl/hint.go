package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/iisctl/iisctl/iiss"
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
	if !errors.Is(err, iiss.ErrServiceRequestTimeout) {
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
	var e *iiss.Error
	dialing := errors.As(err, &e) && e.Addr != ""
	switch iiss.Classify(err) {
	case iiss.KindLogonFailure:
		if h := kerberosHint(t, err, c); h != "" {
			return h
		}
		var fe *rpc.FaultError
		if errors.As(err, &fe) && fe.Status == rpc.StatusAccessDenied {
			// An RPC-level denial: the NTLM logon (auth3) or the authentication
			// level was refused before any DCOM call ran ([MS-RPCE] 3.3.1.5.2.1).
			return fmt.Sprintf("%s refused the logon: check the user name, the domain (-u DOMAIN\\USER), the password "+
				"or --hashes, and that --auth-level %s is allowed (iissd requires privacy by default).", t, c.AuthLevel)
		}
		return fmt.Sprintf("the logon to %s failed: check the user name, the domain (-u DOMAIN\\USER) "+
			"and the password or --hashes.", t)
	case iiss.KindAccessDenied:
		return fmt.Sprintf("%s accepted the logon but refused the call: the account must be in the server's "+
			"Administrators group (or a domain administrator) on Windows, or have the admin role in iissd's users file.", t)
	case iiss.KindAuthNotSupported:
		return fmt.Sprintf("%s does not accept --auth %s; try --auth ntlm or --auth spnego.", t, c.AuthType)
	case iiss.KindHostNotFound:
		return fmt.Sprintf("the name %s does not resolve: check its spelling and DNS, or give an IP address.", t.Host)
	case iiss.KindUnreachable:
		return fmt.Sprintf("could not reach %s on TCP port %d (DCOM activation): check the host is up and that "+
			"firewalls allow port %d and the object's port (a dynamic port, 49152-65535 on Windows; "+
			"iissd uses a fixed one when [listen] object is set in iissd.toml).", t.Host, t.Port, t.Port)
	case iiss.KindDialTimeout:
		return fmt.Sprintf("%s did not answer within the dial timeout (%v): the host may be down, a firewall may drop "+
			"the packets, or the server is overloaded; allow more with --dial-timeout (e.g. --dial-timeout %v).",
			t, c.DialTimeout, suggestTimeout(c.DialTimeout))
	case iiss.KindBusy:
		return fmt.Sprintf("%s is at its connection limit; try again later, or with fewer hosts at once (--parallel).", t)
	case iiss.KindClosed:
		if dialing {
			return fmt.Sprintf("%s closed the connection before answering: the server may be at its connection limit "+
				"or refuse this client; try again later, and see the server's log.", t)
		}
		return fmt.Sprintf("the connection to %s broke: a firewall may block the object's port "+
			"(dynamic on Windows; [listen] object in iissd.toml), or the server stopped.", t)
	case iiss.KindNotRPC:
		return fmt.Sprintf("%s answered, but not in DCE/RPC: another service (a web server?) listens on port %d; "+
			"give the DCOM activation port (135, or iissd's [listen] activation).", t, t.Port)
	case iiss.KindWrongPort:
		return fmt.Sprintf("%s speaks DCE/RPC but does not activate DCOM objects: port %d may be the object's port; "+
			"give the activation port (135, or iissd's [listen] activation): iisctl finds the object's port from there.", t, t.Port)
	case iiss.KindTimeout:
		return fmt.Sprintf("the services on %s did not finish within %v; allow more with --timeout (e.g. --timeout %v).",
			t, timeout, suggestTimeout(timeout))
	case iiss.KindDisabled:
		return fmt.Sprintf("remote control is disabled on %s; run iisreset /enable on that computer to allow it.", t)
	case iiss.KindNotImplemented:
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
