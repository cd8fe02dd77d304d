// Package supervisor is the embedded default svc.Manager backend: iissd
// runs each Internet service as a child process and supervises it.
//
// # Processes
//
// Each service runs Service.Command in its own process group (Setpgid),
// with PR_SET_PDEATHSIG SIGKILL so that it dies with iissd; with
// Config.StateDir, New kills what a crashed iissd left of the groups
// (see contain.go),
// optionally as Service.User (needs root; New fails otherwise), with
// stdout and stderr appended to LogDir/NAME.log. One goroutine per child
// waits on it; every state change happens under the Manager's mutex and
// wakes waiters through a channel, so nothing polls except the TCP
// StartCheck dialer. Timers go through an injectable Clock.
//
// # States
//
// Stopped -> StartPending -> Running -> StopPending -> Stopped. A service
// is StartPending until StartCheck accepts a connection on a socket that
// a process of the service's group listens on (another process holding
// the address never counts; where /proc cannot tell, the service must
// still be alive 500 ms later) or, without one,
// for StartSecs (default 200 ms; negative: Running at once). A process
// that exits in that window has crashed while starting: Start fails for
// it and for its dependents (ERROR_SERVICE_DEPENDENCY_FAIL, 1068). While
// pending, CheckPoint rises every 250 ms and WaitHint is StartSecs,
// StartTimeout or StopTimeout. ProcessID is the child's pid (the leader
// of its group) while it is not Stopped. The local extras: Since is when
// the current state began, Restarts counts launches by the restart
// policy, LogFile is LogDir/NAME.log.
//
// # Exit codes
//
//   - exit 0, or death by a signal iissd sent: 0;
//   - exit N != 0: 1066 ERROR_SERVICE_SPECIFIC_ERROR, service-specific N;
//   - death by a signal iissd did not send: 1067 ERROR_PROCESS_ABORTED;
//   - command or directory missing: 2 ERROR_FILE_NOT_FOUND; not
//     executable: 5 ERROR_ACCESS_DENIED; other start failures: 1067;
//   - unknown User: 1069 ERROR_SERVICE_LOGON_FAILED;
//   - StartCheck not passed within StartTimeout: 1070
//     ERROR_SERVICE_START_HANG (the group is killed).
//
// # Operations
//
// Start starts the AutoStart services and their dependencies, each after
// its dependencies are Running, independent ones in parallel. Stop sends
// StopSignal to every group, dependents first, and returns at its
// context's deadline with an error wrapping context.DeadlineExceeded; a
// service still running gets SIGKILL at its StopTimeout (default 10 s)
// whether or not Stop is still waiting. Kill SIGKILLs every group at once
// and every process named in Config.KillExtra (by /proc/PID/comm or
// argv[0] basename, never iissd itself). When a service's main process
// exits, what is left of its group is killed too.
//
// Restart policies (no, on-failure, always) apply to a service that exits
// on its own after reaching Running, after RestartDelay doubling up to
// MaxRestartDelay; Stop and Kill cancel pending restarts.
//
// Close releases the Manager without stopping anything: the children keep
// running. Shutdown is what iissd calls on exit: Stop, then Kill if Stop
// ran out of time, then Close.
package supervisor
