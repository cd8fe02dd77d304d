package iisreset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Action is what iisreset was asked to do.
type Action int

// Actions, in the order iisreset's usage lists them.
const (
	Restart Action = iota
	Start
	Stop
	Reboot
	Status
	Enable
	Disable
	Help
)

var actionSwitch = map[string]Action{
	"restart": Restart, "start": Start, "stop": Stop, "reboot": Reboot,
	"status": Status, "enable": Enable, "disable": Disable, "?": Help, "help": Help,
}

// Default timeouts (iisreset /?).
const (
	DefaultRestartStopTimeout               = 20 * time.Second
	DefaultStopTimeout                      = 60 * time.Second
	DefaultStartTimeout                     = 60 * time.Second
	DefaultRebootTimeout      time.Duration = 0
)

// Options is a parsed iisreset command line.
type Options struct {
	Computer      string // empty: the local computer
	Action        Action
	RebootOnError bool
	NoForce       bool
	Timeout       time.Duration // as given by /TIMEOUT, if TimeoutSet
	TimeoutSet    bool
}

// ErrUsage is wrapped by every command-line error.
var ErrUsage = errors.New("iisreset: usage")

// Parse reads iisreset's arguments: an optional computer name and the
// switches /RESTART /START /STOP /REBOOT /REBOOTONERROR /NOFORCE
// /TIMEOUT:val /STATUS /ENABLE /DISABLE and /?.
func Parse(args []string) (Options, error) {
	var o Options
	actionSet := false
	for _, a := range args {
		if !isSwitch(a) {
			if o.Computer != "" {
				return o, fmt.Errorf("%w: more than one computer name (%q and %q)", ErrUsage, o.Computer, a)
			}
			o.Computer = strings.TrimPrefix(a, `\\`)
			continue
		}
		name, val, hasVal := strings.Cut(strings.ToLower(a[1:]), ":")
		if act, ok := actionSwitch[name]; ok && !hasVal {
			if actionSet && act != o.Action {
				return o, fmt.Errorf("%w: %s conflicts with an earlier switch", ErrUsage, a)
			}
			o.Action, actionSet = act, true
			continue
		}
		if err := o.modifier(name, val, hasVal, a); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (o *Options) modifier(name, val string, hasVal bool, raw string) error {
	switch {
	case name == "rebootonerror" && !hasVal:
		o.RebootOnError = true
	case name == "noforce" && !hasVal:
		o.NoForce = true
	case name == "timeout":
		secs, err := strconv.ParseUint(val, 10, 32)
		if !hasVal || err != nil || secs > 4294967 {
			return fmt.Errorf("%w: %s needs a number of seconds, as /TIMEOUT:30", ErrUsage, raw)
		}
		o.Timeout, o.TimeoutSet = time.Duration(secs)*time.Second, true
	default:
		return fmt.Errorf("%w: unknown switch %s", ErrUsage, raw)
	}
	return nil
}

func isSwitch(a string) bool {
	return len(a) > 1 && (a[0] == '/' || a[0] == '-') && !strings.HasPrefix(a, `\\`)
}

// StopTimeout is the timeout of the stop step of o.Action.
func (o Options) StopTimeout() time.Duration {
	switch {
	case o.TimeoutSet:
		return o.Timeout
	case o.Action == Stop:
		return DefaultStopTimeout
	case o.Action == Reboot:
		return DefaultRebootTimeout
	}
	return DefaultRestartStopTimeout
}

// StartTimeout is the timeout of the start step.
func (o Options) StartTimeout() time.Duration {
	if o.TimeoutSet {
		return o.Timeout
	}
	return DefaultStartTimeout
}

// Usage is the help text for the iisreset mode.
const Usage = `Usage: iisreset [computername] [switches]

Controls the Internet services of a computer as one unit ([MS-IISS]).
With no switch, the services are stopped and started again (/RESTART).

  /RESTART         stop, then start the Internet services
  /START           start the Internet services that start automatically
  /STOP            stop the Internet services
  /REBOOT          reboot the computer
  /REBOOTONERROR   reboot the computer if starting, stopping or restarting fails
  /NOFORCE         do not terminate the services when a graceful stop fails
  /TIMEOUT:val     seconds to wait for the services to stop (default 20 for
                   /RESTART, 60 for /STOP, 0 for /REBOOT) or to start (60)
  /STATUS          show the state of every Internet service
  /ENABLE          allow remote control of the services (local computer only)
  /DISABLE         refuse remote control of the services (local computer only)
`
