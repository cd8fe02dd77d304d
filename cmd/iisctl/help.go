package main

import "github.com/iisctl/iisctl/internal/iisreset"

const mainLong = `iisctl controls the Internet services of Windows IIS servers and iissd
hosts over DCOM ([MS-IISS] IIisServiceControl).

  iisctl status|start|stop|restart|kill|reboot HOST[:PORT]... [flags]
  iisctl reset [HOST] [/SWITCH...] [flags]     iisreset's command line

HOST is a name or address; PORT defaults to 135 (DCOM activation); write
IPv6 with a port as [addr]:port. Flags may stand anywhere. Invoked as
"iisreset" (a symlink), iisctl behaves as "iisctl reset".`

// helpTopic is a help-only command: iisctl help NAME.
type helpTopic struct{ name, short, text string }

var helpTopics = []helpTopic{
	{"credentials", "How iisctl gets the user and the password", credentialsHelp},
	{"exit-codes", "Exit codes and which one wins for several hosts", exitCodesHelp},
	{"json", "The --json output schema", jsonHelp},
}

const credentialsHelp = `Credential flags:
  -u, --user [DOMAIN\]USER   also DOMAIN/USER or USER@DOMAIN; default $IISCTL_USER
  -p, --password PASSWORD    visible to other users in ps: avoid
  --password-stdin           read the password from the first line of stdin
  --hashes [LMHASH:]NTHASH   pass the NT hash instead of a password (impacket style)
Without these, $IISCTL_PASSWORD is used, else iisctl prompts when stdin
is a terminal (no echo).

Kerberos flags:
  -k, --kerberos             use the ticket cache ($KRB5CCNAME, as kinit leaves it)
  --keytab FILE              use the keys of -u USER@REALM in FILE
  --spn SPN                  the server's principal (default host/HOST as given)
  --realm REALM, --kdc HOST  when there is no krb5.conf ($KRB5_CONFIG)
With -k or --keytab, or a password and --auth kerberos, iisctl uses
Kerberos; -u USER@REALM -p/--password-stdin gets a ticket with a password.
With --auth negotiate (the default) a domain account's password
(-u CORP\USER: the krb5.conf realm whose first label is CORP) gets
tickets from the domain's KDC too, no kinit; NTLM only when Kerberos is
impossible (no realm or KDC, no ticket for the SPN). -v and --json say
which mechanism was used.

Connection flags:
  --auth-level LEVEL         integrity or privacy (default privacy); DCOM
                             activation refuses anything lower
  --auth TYPE                negotiate, kerberos, ntlm or spnego (default
                             negotiate: Kerberos in SPNEGO with a ticket
                             cache or keytab, else NTLM)
  --dial-timeout DURATION    time to connect and activate (default 15s)
  --activation ROAD          instance (RemoteCreateInstance, as iisreset) or
                             classobject (RemoteGetClassObject, then
                             IClassFactory::CreateInstance, as PowerShell);
                             default instance

On a terminal, results are an aligned table with a header; otherwise
they are tab-separated lines without a header. Errors and hints go to
stderr.
`

const exitCodesHelp = `Exit codes:
  0  every host succeeded
  1  a host failed with another HRESULT or error
  2  usage error (bad flag, host or iisreset switch); nothing was attempted
  3  logon failure, access denied, or authentication refused
     (ERROR_LOGON_FAILURE, E_ACCESSDENIED, RPC_S_UNKNOWN_AUTHN_SERVICE)
  4  connection refused or no route to the host (RPC server unavailable)
  5  timeout: the services did not finish in time (0x8007041D); raise --timeout
  6  remote control is disabled on the server (0x800710D5)
  7  not implemented (E_NOTIMPL, e.g. Reboot on Windows)
  8  the host name does not resolve (DNS)
  9  no answer while connecting within --dial-timeout; raise --dial-timeout
 10  the server closed the connection (at its connection limit, or the
     connection broke during a call)
 11  the port does not speak DCE/RPC (a web server or another service)
 12  the port speaks DCE/RPC but is not DCOM activation (the object's port
     instead of 135?)

With several hosts the most serious failure decides, in this order:
  3 > 4, 8, 9, 10, 11, 12 (the first given) > 6 > 5 > 7 > 1 > 0
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
  mechanism    string   "Kerberos" or "NTLM" once connected, else ""
  auth_provider string  negotiate, kerberos, ntlm or spnego (--auth as used)
  kerberos_fallback string  present when negotiate used NTLM: why Kerberos
                        was impossible

With --rolling, --json prints one object instead: action, rolling (true),
batch_size, batches, max_failures, completed (every batch ran), stopped
(why not: "stopped after batch 3: 1 failed (--max-failures 1)",
"interrupted before batch 2"), interrupted, ok, failed and skipped (counts),
and hosts: the objects above plus
  batch        number   1-based; 0 for a host not attempted
  status       string   ok, failed or skipped (the roll stopped before it)
  step         string   also "health" when the health check failed
  error_kind   string   unhealthy, or iiss's kind (unreachable, logon-failure, ...)
  health       object   url, attempts, status (HTTP; 0 for tcp), ok, error;
                        null without --health or when not checked

Fields are only ever added, never renamed or removed.
`

const iisresetHelp = `Usage: iisreset [computername] [switches] [credential flags]
       iisctl reset [computername] [switches] [credential flags]

iisctl's credential and connection flags may stand anywhere; everything
after -- is iisreset's. Without a computer name, localhost is used.

` + iisreset.Usage

const resetFlagsHelp = `
Credential flags:
  -u, --user [DOMAIN\]USER   also DOMAIN/USER or USER@DOMAIN; default $IISCTL_USER
  -p, --password PASSWORD    visible to other users in ps: avoid
  --password-stdin           read the password from the first line of stdin
  --hashes [LMHASH:]NTHASH   pass the NT hash instead of a password (impacket style)
  -k, --kerberos, --keytab FILE, --spn SPN, --realm REALM, --kdc HOST
                             Kerberos (iisctl help credentials)

Connection flags:
  --auth-level LEVEL         integrity or privacy (default privacy)
  --auth TYPE                negotiate, kerberos, ntlm or spnego (default
                             negotiate: Kerberos in SPNEGO with a ticket
                             cache or keytab, else NTLM)
  --dial-timeout DURATION    time to connect and activate (default 15s)

Credential and connection flags may stand anywhere among iisreset's arguments.
`
