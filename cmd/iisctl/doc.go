// Command iisctl controls the Internet services of Windows IIS servers
// and iissd hosts over DCOM, through [MS-IISS] IIisServiceControl:
// Status, Start, Stop, Restart (stop then start), Kill and Reboot, on
// one host or a fleet.
//
// Usage:
//
//	iisctl status|start|stop|restart|kill|reboot HOST[:PORT]... [flags]
//	iisctl restart|stop|start --rolling [--batch N|P%] [--health URL] --hosts-file FILE [--group G]
//	iisctl exporter [--listen ADDR:PORT] --hosts-file FILE   Prometheus metrics (docs/metrics.md)
//	iisctl reset [credential flags] [computername] [iisreset switches]
//	iisreset [credential flags] [computername] [iisreset switches]
//	iisctl version | --version
//	iisctl help [COMMAND | exit-codes | json | credentials]
//	iisctl completion bash|zsh|fish
//	iisctl man DIR
//
// HOST is a name or an address; PORT is the DCOM activation port, 135 by
// default; IPv6 with a port is written [addr]:port. The command line is
// cobra's (internal/cmdline, shared with iissd): the credential and
// connection flags belong to the root command and may stand anywhere,
// before the command name too (iisctl -u alice status web01). Up to --parallel hosts (default 8) run at once;
// results are printed in the order the hosts were given. Hosts also come
// from --hosts-file (inventory.go: [group] sections, --group) or stdin
// ("-"), accounts per host from --credentials-file (0600); --rolling
// goes through them in batches with health checks (rolling.go).
//
// # Credentials
//
// -u/--user takes DOMAIN\USER, DOMAIN/USER or USER@DOMAIN (default
// $IISCTL_USER). The secret comes from the first of: --hashes
// [LMHASH:]NTHASH (pass-the-hash, impacket style), -p/--password (warned
// about: visible in ps), --password-stdin (first line of stdin),
// $IISCTL_PASSWORD, and a no-echo prompt when stdin is a terminal.
// Giving two of the flags is a usage error. Buffers iisctl owns are
// zeroed once the connections are made; secrets are never printed.
//
// # iisreset mode
//
// Invoked as iisreset (argv[0], e.g. a symlink) or as "iisctl reset",
// iisctl takes Windows' iisreset command line and prints iisreset's
// lines, errors included ("... (2147942405, 80070005)"). iisctl's
// credential and connection flags may stand anywhere (iisreset's own
// switches never share their names); everything after "--" is iisreset's.
// Without a computer name the target is localhost.
//
// # Output
//
// On a terminal the results are an aligned table with a header: HOST,
// SERVICE, DISPLAY NAME, STATE, EXIT CODE for status, and HOST, RESULT,
// DETAIL, DURATION for the other commands. When stdout is not a terminal
// the same rows are printed tab-separated, without the header (cli/cli's
// plain output). Failures of status, and a hint for every failure (the
// missing right, the closed port, the flag to change), go to stderr.
//
// --json prints one array, one object per host, in the order given:
//
//	host         string  the host, without the port
//	port         number  the activation port
//	action       string  status, start, stop, restart, kill or reboot
//	ok           bool    the host succeeded
//	exit_code    number  this host's exit code
//	hresult      string  "0x%08X": 0x00000000, the server's HRESULT, or the one
//	                     Windows reports for the failure (0x800706BA unreachable,
//	                     0x8007052E logon failure, 0x80070005 access denied)
//	error        string  the message; "" on success
//	step         string  restart: "stop" or "start", the step that failed; else ""
//	services     array   status: name, display_name, state ("Running"...),
//	                     state_code, type, controls_accepted, win32_exit_code,
//	                     service_specific_exit_code, checkpoint, wait_hint_ms;
//	                     an empty array for the other commands
//	duration_ms  number  time spent on the host, connection included
//	mechanism    string  "Kerberos" or "NTLM" once connected, else ""
//	auth_provider string negotiate, kerberos, ntlm or spnego
//	kerberos_fallback string  negotiate used NTLM: why (omitted otherwise)
//
// Fields are only ever added.
//
// # Exit codes
//
//	0  every host succeeded
//	1  a host failed with another HRESULT or error
//	2  usage error; nothing was attempted
//	3  logon failure, access denied, authentication refused
//	4  connection refused or no route to the host
//	5  timeout (0x8007041D): the services did not answer in time
//	6  remote control disabled on the server (0x800710D5)
//	7  not implemented (E_NOTIMPL: Reboot on Windows)
//	8  the host name does not resolve
//	9  no answer while connecting within --dial-timeout
//	10 the server closed the connection (at its limit, or mid-call)
//	11 the port does not speak DCE/RPC (a web server?)
//	12 a DCE/RPC port without DCOM activation (the object's port?)
//
// Each is one iiss.Kind (iiss.Classify). With several hosts the most
// serious failure decides: 3 > 4, 8-12 > 6 > 5 > 7 > 1 > 0 — account and
// network problems, which usually affect every
// host, before the state of one server. iisreset mode uses the same codes.
//
// # Timeouts
//
// --timeout is the server-side timeout, as a duration or in seconds:
// stop 60s, start 60s, restart 20s for the stop and 60s for the start
// (as iisreset), reboot 0s. The client waits 30s more for the answer.
// --dial-timeout (default 15s) bounds connecting and activation.
//
// # Connecting
//
// The connection is made by a [Dialer]; defaultDialer in dial.go is the
// production one.
package main

//go:generate go run . man ../../docs/man
