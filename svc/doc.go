// Package svc is the service model behind [MS-IISS]: a set of "Internet
// services" controlled as one unit. A Manager is a backend (the embedded
// supervisor in svc/supervisor, systemd in svc/systemd); backends never
// see NDR or HRESULTs.
//
// Status mirrors SERVICE_STATUS_PROCESS (winsvc.h, the second seed) and
// SERVICE_STATUS ([MS-SCMR] 2.2.49, 2.2.47): a service is Stopped, StartPending,
// Running or StopPending (the pause states are never used); CheckPoint
// rises and WaitHint estimates the time left while a state is pending.
// When a service stops, Win32ExitCode says why: ExitOK for a clean exit or
// a stop iissd asked for, ExitServiceSpecificError with the process exit
// status in ServiceSpecificExitCode, ExitProcessAborted for a death by a
// signal nobody asked for, and the Exit* constants for failures to start.
//
// Every backend must pass the contract suite in svc/svctest, which also
// provides svctest.Fake, an in-memory Manager for the layers above.
package svc
