package main

import "runtime/debug"

// buildVersion is set by the linker: -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion string

// version is buildVersion, else the module version Go recorded.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
