// Package systemd is the svc.Manager backend that controls the Internet
// services through a systemd service manager, over D-Bus
// (org.freedesktop.systemd1, via go-systemd's dbus package): the system
// bus by default, or Config.BusAddress.
//
// # Which units are the Internet services
//
// With Config.Target (e.g. "iis.target", see example/): the service units
// the target Wants= or Requires= (a unit enabled with WantedBy=iis.target
// is wanted) are AutoStart; service units that are only PartOf= the
// target (its ConsistsOf) are DemandStart. systemd lists a PartOf= unit
// in ConsistsOf only once it is loaded, so a target names its demand-start
// members with After= (ordering only). With Config.Units: those units, in
// that order, AutoStart unless listed in Config.Demand. Both may be given;
// the explicit units come first, then the target's sorted by unit name.
// A masked or missing unit is Disabled.
//
// A service's name is its unit name without ".service" and without
// Config.Prefix ("iis-w3svc.service" with Prefix "iis-" is "w3svc"); units
// of other types keep their suffix. Dependencies are the units it
// Requires=, Requisite= or BindsTo= that are Internet services themselves.
//
// # Operations
//
// Start queues a start job (mode "replace") for each AutoStart service and
// the target; Stop a stop job for every service and the target; systemd
// orders them by After= (stop in reverse). Each job is awaited through its
// JobRemoved signal (a target's stop job ends before the services it
// stops through PartOf= are down, so every service's own job is awaited),
// never by polling. The context's deadline is the timeout: the call then
// returns an error wrapping context.DeadlineExceeded and the jobs keep
// running. A job that ends other than "done" is a *JobError; a service
// that a finished start left stopped (it exited at once) is a *UnitError.
// Kill queues stop jobs (so that Restart= does not bring services back),
// sends SIGKILL to every process of every service (KillUnit "all" 9) and
// to the processes named in Config.KillExtra (found in /proc by comm or
// argv[0]), and waits for the stop jobs.
//
// # States ([MS-SCMR] 2.2.47, dwCurrentState)
//
//	ActiveState                 State         CheckPoint / WaitHint
//	active, reloading           Running       0 / 0
//	activating                  StartPending  1 + seconds since InactiveExitTimestamp / TimeoutStartUSec in ms
//	deactivating                StopPending   1 + seconds since ActiveExitTimestamp / TimeoutStopUSec in ms
//	inactive, failed, other     Stopped       0 / 0
//
// ProcessID is MainPID while the unit is not Stopped, DisplayName the
// unit's Description (the name if empty), Type TypeOwnProcess, and a
// Running service accepts stop and shutdown. An infinite timeout gives
// WaitHint 0xFFFFFFFF. The local extras: Since is StateChangeTimestamp,
// Restarts the Service's NRestarts, LogFile "journalctl -u UNIT".
//
// # Exit codes (dwWin32ExitCode / dwServiceSpecificExitCode)
//
// For a Stopped service, from the Service's Result and ExecMainStatus:
//
//	Result                        Win32ExitCode                          ServiceSpecificExitCode
//	success, exec-condition       0                                      0
//	exit-code                     1066 ERROR_SERVICE_SPECIFIC_ERROR      exit status
//	exit-code, status 203 or 200  2 ERROR_FILE_NOT_FOUND (no command)    exit status
//	exit-code, status 217 or 216  1069 ERROR_SERVICE_LOGON_FAILED        exit status
//	signal, core-dump, watchdog,  1067 ERROR_PROCESS_ABORTED             signal number (informative:
//	oom-kill                                                             SCM clients only read it with 1066)
//	timeout                       1053 ERROR_SERVICE_REQUEST_TIMEOUT     0
//	start-limit-hit, resources    1077 ERROR_SERVICE_NEVER_STARTED       0
//	protocol, others              1067 ERROR_PROCESS_ABORTED             0
//	(unit file not found)         2 ERROR_FILE_NOT_FOUND                 0
//
// A SIGTERM that ends a service during a stop counts as success (systemd's
// default SuccessExitStatus), so a clean Stop leaves 0.
package systemd
