// Package localconf finds the configuration iissd serves with, for the
// commands that act on the server's computer without a connection
// (iissd disable|enable|user, iisreset /DISABLE and /ENABLE without a
// computer name): they must change the state directory and the users
// file the running server reads, not a default of their own.
//
// The discovery is the server's own, in this order:
//
//  1. the --config flag;
//  2. $IISSD_CONFIG;
//  3. /etc/iissd/iissd.toml when it exists (the server requires it).
//
// Then state.dir and security.users_file come from that file, with
// iissd's defaults (/var/lib/iissd, /etc/iissd/users) for what it leaves
// out; --state and $IISSD_STATE_DIR override the state directory, and
// --users the users file.
package localconf
