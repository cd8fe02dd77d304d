package localconf

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/BurntSushi/toml"
)

// Defaults of iissd's configuration.
const (
	DefaultConfig    = "/etc/iissd/iissd.toml"
	DefaultStateDir  = "/var/lib/iissd"
	DefaultUsersFile = "/etc/iissd/users"
)

// Environment variables the discovery reads.
const (
	EnvConfig   = "IISSD_CONFIG"
	EnvStateDir = "IISSD_STATE_DIR"
)

// Flags are the command-line overrides; empty means not given.
type Flags struct {
	Config, StateDir, UsersFile string
}

// Location is what a local command acts on, and where each part came
// from, for its messages.
type Location struct {
	Config     string // the configuration file read, "" if none
	StateDir   string
	StateFrom  string // "--state", "$IISSD_STATE_DIR", the config file, or "default"
	UsersFile  string
	UsersFrom  string
	ConfigFrom string // "--config", "$IISSD_CONFIG", "default" or "" when no file was read
}

// ConfigPath is the configuration file the server reads: the flag, else
// $IISSD_CONFIG, else DefaultConfig, with where it came from.
func ConfigPath(flag string, getenv func(string) string) (path, from string) {
	switch {
	case flag != "":
		return flag, "--config"
	case getenv(EnvConfig) != "":
		return getenv(EnvConfig), "$" + EnvConfig
	}
	return DefaultConfig, "default"
}

// fileKeys are the keys of iissd.toml a local command needs.
type fileKeys struct {
	State struct {
		Dir string `toml:"dir"`
	} `toml:"state"`
	Security struct {
		UsersFile string `toml:"users_file"`
	} `toml:"security"`
}

// Locate finds the state directory and the users file. A configuration
// named by --config or $IISSD_CONFIG must exist; the default one may be
// absent (iissd's defaults then apply).
func Locate(f Flags, getenv func(string) string) (Location, error) {
	path, from := ConfigPath(f.Config, getenv)
	l := Location{StateDir: DefaultStateDir, StateFrom: "default", UsersFile: DefaultUsersFile, UsersFrom: "default"}
	var k fileKeys
	_, err := toml.DecodeFile(path, &k)
	switch {
	case err == nil:
		l.Config, l.ConfigFrom = path, from
		if k.State.Dir != "" {
			l.StateDir, l.StateFrom = k.State.Dir, path
		}
		if k.Security.UsersFile != "" {
			l.UsersFile, l.UsersFrom = k.Security.UsersFile, path
		}
	case errors.Is(err, fs.ErrNotExist) && from == "default":
	default:
		return l, fmt.Errorf("config %s (%s): %w", path, from, err)
	}
	switch {
	case f.StateDir != "":
		l.StateDir, l.StateFrom = f.StateDir, "--state"
	case getenv(EnvStateDir) != "":
		l.StateDir, l.StateFrom = getenv(EnvStateDir), "$"+EnvStateDir
	}
	if f.UsersFile != "" {
		l.UsersFile, l.UsersFrom = f.UsersFile, "--users"
	}
	return l, nil
}

// DescribeState says where the state directory came from, for messages:
// "/var/lib/iissd (state.dir of /etc/iissd/iissd.toml)".
func (l Location) DescribeState() string {
	return l.StateDir + " (" + describe(l.StateFrom, "state.dir", l.Config) + ")"
}

// DescribeUsers is DescribeState for the users file.
func (l Location) DescribeUsers() string {
	return l.UsersFile + " (" + describe(l.UsersFrom, "security.users_file", l.Config) + ")"
}

func describe(from, key, config string) string {
	switch {
	case from == "default" && config == "":
		return "iissd's default; no configuration file found"
	case from == "default":
		return "iissd's default; " + key + " not set in " + config
	case from == config:
		return key + " of " + config
	}
	return "from " + from
}
