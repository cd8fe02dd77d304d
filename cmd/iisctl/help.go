package main

import (
	"fmt"
	"strings"

	"github.com/iisctl/iisctl/internal/iisreset"
)

const mainHelp = `iisctl controls the Internet services of Windows IIS servers and iissd
hosts over DCOM ([MS-IISS] IIisServiceControl).

Usage:
  iisctl status  HOST[:PORT]... [flags]   show every service
  iisctl start   HOST[:PORT]... [flags]   start the services that start automatically
  iisctl stop    HOST[:PORT]... [flags]   stop the services (forced after --timeout)
  iisctl restart HOST[:PORT]... [flags]   stop, then start
  iisctl kill    HOST[:PORT]... [flags]   terminate the services' processes
  iisctl reboot  HOST[:PORT]... [flags]   reboot the computer
  iisctl reset [HOST] [/SWITCH...] [flags]   iisreset's command line and lines
  iisctl version
  iisctl help [COMMAND | exit-codes | json | credentials | iisreset]

HOST is a name or address; PORT defaults to 135 (DCOM activation); write
IPv6 with a port as [addr]:port. Hosts run concurrently (--parallel) and
are reported in the order given. Invoked as "iisreset" (a symlink),
iisctl behaves as "iisctl reset".
` + credentialsHelp + connectionHelp + outputHelp

const credentialsHelp = `
Credential flags:
  -u, --user [DOMAIN\]USER   also DOMAIN/USER or USER@DOMAIN; default $IISCTL_USER
  -p, --password PASSWORD    visible to other users in ps: avoid
  --password-stdin           read the password from the first line of stdin
  --hashes [LMHASH:]NTHASH   pass the NT hash instead of a password (impacket style)
  Without these, $IISCTL_PASSWORD is used, else iisctl prompts when stdin
  is a terminal (no echo).
`

const connectionHelp = `
Connection flags:
  --auth-level LEVEL         integrity or privacy (default privacy); DCOM
                             activation refuses anything lower
  --auth TYPE                ntlm or spnego (default ntlm)
  --dial-timeout DURATION    time to connect and activate (default 15s)
`

const outputHelp = `
Output flags:
  --json                     print a JSON array, one object per host (iisctl help json)
  --parallel N               hosts at once (default 8)

On a terminal, results are an aligned table with a header; otherwise
they are tab-separated lines without a header. Errors and hints go to
stderr. See 'iisctl help exit-codes'.
`

const timeoutHelp = `
Operation flags:
  --timeout DURATION         server-side timeout: 90s, 2m or plain seconds
                             (defaults: stop 60s, start 60s, restart 20s to
                             stop then 60s to start, reboot 0s)
  --no-force                 do not kill the services if they do not stop in time
`

var commandHelp = map[Op]string{
	OpStatus:  "Usage: iisctl status HOST[:PORT]... [flags]\n\nShows the state of every Internet service of each host:\nHOST, SERVICE, DISPLAY NAME, STATE, EXIT CODE.\n" + credentialsHelp + connectionHelp + outputHelp,
	OpStart:   "Usage: iisctl start HOST[:PORT]... [flags]\n\nStarts the Internet services that start automatically.\n" + actionFlagsHelp,
	OpStop:    "Usage: iisctl stop HOST[:PORT]... [flags]\n\nStops the Internet services; with force (the default) the processes\nleft after --timeout are killed.\n" + actionFlagsHelp,
	OpRestart: "Usage: iisctl restart HOST[:PORT]... [flags]\n\nStops then starts the Internet services, as iisreset /RESTART.\n" + actionFlagsHelp,
	OpKill:    "Usage: iisctl kill HOST[:PORT]... [flags]\n\nTerminates every process of the Internet services at once.\n" + credentialsHelp + connectionHelp + outputHelp,
	OpReboot:  "Usage: iisctl reboot HOST[:PORT]... [flags]\n\nReboots the computer after --timeout. Windows answers E_NOTIMPL (exit 7);\niissd reboots only when configured to.\n" + actionFlagsHelp,
}

const actionFlagsHelp = timeoutHelp + credentialsHelp + connectionHelp + outputHelp

const exitCodesHelp = `Exit codes:
  0  every host succeeded
  1  a host failed with another HRESULT or error
  2  usage error (bad flag, host or iisreset switch); nothing was attempted
  3  authentication failed or access denied (logon failure, E_ACCESSDENIED)
  4  a host was unreachable or the connection broke (RPC server unavailable)
  5  timeout: the services did not answer in time (0x8007041D)
  6  remote control is disabled on the server (0x800710D5)
  7  not implemented (E_NOTIMPL, e.g. Reboot on Windows)

With several hosts the most serious failure decides, in this order:
  3 > 4 > 6 > 5 > 7 > 1 > 0
(a problem with your account or the network before one with a server).
iisreset mode uses the same codes.
`

const jsonHelp = `--json prints an array with one object per host, in the order given:

  host         string   the host as given, without the port
  port         number   the DCOM activation port (135 unless given)
  action       string   status, start, stop, restart, kill or reboot
  ok           bool     the host succeeded
  exit_code    number   this host's exit code (iisctl help exit-codes)
  hresult      string   "0x%08X": 0x00000000 on success, the server's HRESULT,
                        or the one Windows reports for the failure
                        (0x800706BA unreachable, 0x8007052E logon failure)
  error        string   the message, "" on success
  step         string   restart only: "stop" or "start", the step that failed
  services     array    status only, else empty:
    name, display_name          strings
    state                       "Running", "Stopped", "Stop Pending", ...
    state_code                  dwCurrentState ([MS-SCMR] 2.2.47)
    type, controls_accepted     dwServiceType, dwControlsAccepted
    win32_exit_code, service_specific_exit_code, checkpoint, wait_hint_ms
  duration_ms  number   time spent on the host, connection included

Fields are only ever added, never renamed or removed.
`

const iisresetHelp = `Usage: iisreset [computername] [switches] [credential flags]
       iisctl reset [computername] [switches] [credential flags]

iisctl's credential and connection flags may stand anywhere; everything
after -- is iisreset's. Without a computer name, localhost is used.

` + iisreset.Usage

const resetFlagsHelp = credentialsHelp + connectionHelp + "\nCredential and connection flags may stand anywhere among iisreset's arguments.\n"

// helpRun prints a help topic.
func helpRun(ios *IOStreams, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(ios.Out, mainHelp)
		return nil
	}
	topic := strings.ToLower(args[0])
	if op, ok := ops[topic]; ok {
		fmt.Fprint(ios.Out, commandHelp[op])
		return nil
	}
	text, ok := map[string]string{"exit-codes": exitCodesHelp, "json": jsonHelp,
		"credentials": credentialsHelp[1:], "iisreset": iisresetHelp + resetFlagsHelp, "reset": iisresetHelp + resetFlagsHelp}[topic]
	if !ok {
		return usageErrorf("no help topic %q", args[0])
	}
	fmt.Fprint(ios.Out, text)
	return nil
}
