package systemd

import (
	"errors"
	"strings"
	"syscall"
)

// Config selects the systemd manager to talk to and the units that are the
// Internet services.
type Config struct {
	// BusAddress is a D-Bus address such as "unix:path=/run/user/0/bus".
	// Empty means the system bus.
	BusAddress string
	// Direct says BusAddress is systemd's own peer-to-peer socket
	// (".../systemd/private"): no bus daemon, so no Hello.
	Direct bool

	// Target is the unit grouping the Internet services, e.g. "iis.target".
	// Its members are the units it Wants=/Requires= (started by Start) and
	// the units that are PartOf= it (ConsistsOf; demand-start only).
	Target string
	// Units is an explicit list of units, used with or instead of Target.
	// Each is started by Start unless it is listed in Demand.
	Units []string
	// Demand lists units (of Units) that Start leaves alone.
	Demand []string
	// Prefix, if set, is a namespace for the Internet services' units:
	// it is stripped from unit names to form service names and added to
	// short names in Units and Demand ("iis-" makes iis-w3svc.service the
	// service "w3svc").
	Prefix string

	// KillExtra names further processes (by /proc/PID/comm or the base name
	// of argv[0]) that Kill terminates with SIGKILL.
	KillExtra []string
	// ProcRoot is where KillExtra processes are looked up; default "/proc".
	ProcRoot string
	// Signal sends a signal to a process; default syscall.Kill.
	Signal func(pid int, sig syscall.Signal) error
}

// errNoUnits is returned by New when Config names neither Target nor Units.
var errNoUnits = errors.New("systemd: config names no target and no units")

func (c Config) validate() error {
	if c.Target == "" && len(c.Units) == 0 {
		return errNoUnits
	}
	return nil
}

func (c Config) procRoot() string {
	if c.ProcRoot == "" {
		return "/proc"
	}
	return c.ProcRoot
}

func (c Config) signal() func(int, syscall.Signal) error {
	if c.Signal == nil {
		return syscall.Kill
	}
	return c.Signal
}

func (c Config) isDemand(unit string) bool {
	for _, d := range c.Demand {
		if c.unitName(d) == unit {
			return true
		}
	}
	return false
}

// unitName completes a service name to a unit name: "web" becomes
// Prefix+"web.service"; a name with a unit type suffix is kept.
func (c Config) unitName(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && unitTypes[name[i+1:]] {
		return name
	}
	return c.Prefix + name + ".service"
}

var unitTypes = map[string]bool{
	"service": true, "socket": true, "target": true, "timer": true, "path": true,
	"mount": true, "automount": true, "swap": true, "slice": true, "scope": true, "device": true,
}

// serviceName is the svc.Status name of a unit: the unit name without
// Prefix and ".service"; units of other types keep their suffix.
func (c Config) serviceName(unit string) string {
	return strings.TrimPrefix(strings.TrimSuffix(unit, ".service"), c.Prefix)
}
