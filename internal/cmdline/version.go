package cmdline

import "runtime/debug"

// buildVersion is set by the linker for release builds:
//
//	go build -ldflags "-X github.com/iisctl/iisctl/internal/cmdline.buildVersion=v1.2.3" ./cmd/...
var buildVersion string

// Version is the version of this build: the linker's buildVersion, else
// the module version Go recorded (v1.2.3 for `go install ...@v1.2.3`, a
// pseudo-version for a build in a checkout), else "(devel)" with the
// commit when Go recorded one. iisctl and iissd built from the same tree
// report the same string.
func Version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	v, dirty := "(devel)", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		v += "+dirty"
	}
	return v
}
