// Package ctl is iissd's local control channel: a Unix socket through
// which iissd's own commands (`iissd status`, `iissd disable|enable`,
// `iissd user …`, iisreset's local /DISABLE and /ENABLE) ask the running
// server, so that what they change is what that server uses at once.
// [Server] and [Client] live here together and are tested against each
// other.
//
// Nothing here goes on the network: the wire stays as [MS-IISS] defines
// it (the STATUS_BLOB of 2.2.1 carries SERVICE_STATUS only). The channel
// shows the full SERVICE_STATUS_PROCESS (winsvc.h; [MS-SCMR] 2.2.49, with
// the names of ENUM_SERVICE_STATUS_PROCESSW, 2.2.13) of
// each Internet service plus local extras, as `sc queryex` does on
// Windows ([WriteQueryEx]).
//
// # Socket and access
//
// The socket is [SocketName] in iissd's state directory (0700), created
// under a temporary name, set to mode 0600 and renamed into place, so it
// never exists with a wider mode; it belongs to iissd's user. Every
// connection's peer is checked with SO_PEERCRED: only root and iissd's
// own uid may use it. Anyone else gets one "access_denied" response,
// which is logged and audited (uid, pid, the request's op when it could
// be read), and the connection is closed. A socket left behind by an
// iissd that died is replaced; one that answers belongs to a running
// iissd and makes [Listen] fail.
//
// # Protocol (JSON lines)
//
// A connection carries one request and one response, each a JSON object
// on one line ending in "\n". A request is at most [MaxRequest] bytes;
// the whole exchange must finish within the server's per-connection
// deadline (default 30 s); at most MaxConns connections are served at
// once and further ones are answered "busy". Requests ([Request]):
//
//	{"op":"status"}                          every service
//	{"op":"status","services":["W3SVC"]}     those (case-insensitive)
//	{"op":"disable"} {"op":"enable"}         the local switch ([MS-IISS] 3.1.4)
//	{"op":"user-add","user":"admin","domain":"","nt_hash":"32 hex digits","admin":true}
//	{"op":"user-del","user":"admin","domain":""}
//	{"op":"user-list"}
//	{"op":"reload"}                          re-read the users file
//
// The response ([Response]) has "ok"; on failure "code" (one of the
// Code* constants) and "error"; on success "message" (what was done, for
// a person), and "services", "users" and "disabled" where they apply.
// The password never crosses the socket: the client sends the NT hash.
//
// Every state change (disable, enable, user-add, user-del, reload) is
// serialized with the others, verified (the switch is read back; the
// users file is re-read by the server) and audited whatever its result.
//
// # Client side
//
// [Client] makes one exchange per call; no socket, or one nobody listens
// on, is [ErrNotRunning], and a socket this user may not open is
// [ErrAccessDenied]. [Fallback] (and [SetDisabled] on it) is how the local
// commands route: through the running server, or to the files only when
// none runs, never behind a running server's back after a refusal.
package ctl
