// Package systemdtest runs a real systemd service manager for tests:
// `systemd --user`, started as root in a private mount namespace (where a
// tmpfs on /run/systemd fakes a booted system) with its own cgroup
// subtree, its own unit directory and its own D-Bus bus daemon
// (the stock dbus.socket at $XDG_RUNTIME_DIR/bus). The host's /run and
// services are never touched.
//
// Start one with [Start] (or share one per test binary with [Shared] and
// [Teardown]), write units with [Sandbox.WriteUnit], load them with
// [Sandbox.Reload], and connect to [Sandbox.BusAddress].
package systemdtest
