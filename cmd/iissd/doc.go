// Command iissd serves the IIS ServiceControl Protocol ([MS-IISS]) on
// Linux: the DCOM activator and OXID resolver, and the IIisServiceControl
// object, which controls the configured "Internet services" through the
// embedded supervisor or systemd.
//
//	iissd --config /etc/iissd/iissd.toml   serve with a configuration file
//	iissd --demo [--listen ADDR:PORT]      serve a built-in demo, no file needed
//	iissd user add|del|list ...            manage the users file
//	iissd disable | enable                 turn remote control off or on (local only)
//	iissd version | --version                same version as iisctl's
//	iissd completion bash|zsh|fish           shell completion
//	iissd man DIR                            man pages
//
// The command line is cobra's (internal/cmdline): flags may stand before
// or after arguments, every command has --help, unknown commands are
// errors with suggestions.
package main

//go:generate go run . man ../../docs/man
