// Package iisreset reproduces the command line and the console output of
// Windows' iisreset.exe, so that scripts written for Windows keep working
// against iisctl. It parses iisreset's switches (case-insensitive, with
// '/' or '-') and drives an [MS-IISS] IIisServiceControl through the
// Target interface, printing iisreset's lines.
//
// Default timeouts are iisreset's: 20 s for the stop half of /RESTART,
// 60 s for /STOP, 0 s for /REBOOT. iisreset documents no start timeout;
// we use 60 s for /START and for the start half of /RESTART.
package iisreset
