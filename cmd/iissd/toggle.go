package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/iisctl/iisctl/iiss"
)

// runToggle implements `iissd disable|enable`, the local switch of
// iisreset /DISABLE and /ENABLE: while disabled every IIisServiceControl
// method returns ERROR_RESOURCE_DISABLED. It writes the state directory,
// so it works only on the server itself, and survives restarts.
func runToggle(verb string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("iissd "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "iissd configuration file (for state.dir)")
	stateDir := fs.String("state", "", "state directory (default state.dir of --config, else /var/lib/iissd)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := *stateDir
	if dir == "" && *cfgPath != "" {
		cfg, err := LoadConfig(*cfgPath)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		dir = cfg.State.Dir
	}
	if dir == "" {
		dir = "/var/lib/iissd"
	}
	st, err := iiss.NewFileDisableState(dir)
	if err == nil {
		if verb == "disable" {
			err = st.Disable()
		} else {
			err = st.Enable()
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "iissd:", err)
		return 1
	}
	fmt.Fprintf(stdout, "remote control of the Internet services is now %sd (%s)\n", verb, st.Path())
	return 0
}
