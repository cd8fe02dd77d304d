package main

// The local commands: they act on this computer's iissd without a
// connection, on the state directory and the users file the server
// reads (found as the server finds them: internal/localconf), and say
// which ones they changed. They are all here so that they can be routed
// through a control channel to the running server.

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/iisctl/iisctl/internal/ctl"
	"github.com/iisctl/iisctl/internal/localconf"
	"github.com/spf13/cobra"
)

const envStateDir = localconf.EnvStateDir

// localconfPath is the configuration file the server reads.
func localconfPath(flag string) (path, from string) { return localconf.ConfigPath(flag, os.Getenv) }

// locate finds what the local commands act on.
func locate(f *serveFlags, users string) (localconf.Location, error) {
	return localconf.Locate(localconf.Flags{Config: f.config, StateDir: f.state, UsersFile: users}, os.Getenv)
}

// newToggleCmd is `iissd disable|enable`, the local switch of iisreset
// /DISABLE and /ENABLE: while disabled every IIisServiceControl method
// returns ERROR_RESOURCE_DISABLED. When iissd runs it flips the switch
// through its control channel (internal/ctl); otherwise it writes the
// switch file in the state directory. It works only on the server
// itself, and survives restarts.
func newToggleCmd(verb string, f *serveFlags, stdout io.Writer) *cobra.Command {
	short := map[string]string{"disable": "Turn remote control of the Internet services off (iisreset /DISABLE)",
		"enable": "Turn remote control of the Internet services back on (iisreset /ENABLE)"}[verb]
	return &cobra.Command{
		Use:   verb,
		Short: short,
		Long: short + ".\n\nWhile disabled, every IIisServiceControl call answers ERROR_RESOURCE_DISABLED\n" +
			"(0x800710D5). The switch is a file in the state directory the server uses\n" +
			"(--state, $IISSD_STATE_DIR, or state.dir of the configuration: --config,\n" +
			"$IISSD_CONFIG, /etc/iissd/iissd.toml); it survives restarts. A running iissd\n" +
			"is asked through its control socket (STATE_DIR/iissd.sock) and applies it at\n" +
			"once; otherwise the file is written. The output says which.",
		Args: cmdline.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			loc, err := locate(f, "")
			if err != nil {
				return err
			}
			o, path, err := ctl.SetDisabled(cmdContext(c), loc.StateDir, verb == "disable")
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "remote control of the Internet services is now %sd\n  %s\n  state directory: %s\n  switch file: %s\n",
				verb, o.Describe(), loc.DescribeState(), path)
			return nil
		},
	}
}

// cmdContext is the command's context, bounded for a local exchange.
func cmdContext(c *cobra.Command) context.Context {
	if ctx := c.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
