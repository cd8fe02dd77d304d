// Package iisreset reproduces the command line and the console output of
// Windows' iisreset.exe, so that scripts written for Windows keep working
// against iisctl. It parses iisreset's switches (case-insensitive, with
// '/' or '-') and drives an [MS-IISS] IIisServiceControl through the
// Target interface, which every iiss.Service satisfies, printing
// iisreset's lines.
//
// [Describe] renders an error as iisreset does: a message, then the
// HRESULT in decimal and hex, "(2147942405, 80070005)". [Code] maps any
// error to the HRESULT Windows would report: the one it carries, else
// ERROR_LOGON_FAILURE, RPC_S_SERVER_UNAVAILABLE, RPC_S_CALL_FAILED,
// ERROR_TIMEOUT, ERROR_CANCELLED or E_FAIL. Runner.Describe and
// Runner.ExitCode let the caller plug these in.
//
// Default timeouts are iisreset's: 20 s for the stop half of /RESTART,
// 60 s for /STOP, 0 s for /REBOOT. iisreset documents no start timeout;
// we use 60 s for /START and for the start half of /RESTART.
package iisreset
