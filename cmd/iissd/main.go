package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/spf13/cobra"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is the whole command; it returns the exit code: 0, 1 for a
// failure, 2 for a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := cmdline.Execute(newRootCmd(stdin, stdout, stderr), args)
	var ue *cmdline.UsageError
	var se *silentExit
	switch {
	case err == nil:
		return 0
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "iissd: %s\nRun 'iissd help' for usage.\n", ue.Msg)
		return 2
	}
	fmt.Fprintf(stderr, "iissd: %v\n", err)
	return 1
}

// serveFlags are the root command's flags: serving.
type serveFlags struct {
	config, listen, objectListen, state string
	pprof                               string
	demo                                bool
	site                                string // the demo site's address; "" is demoSite
}

// newRootCmd builds iissd's command tree. The root command serves;
// --config and --state belong to the root so that the local commands
// (status, disable, enable, user) find the server's configuration the same way.
func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var f serveFlags
	root := &cobra.Command{
		Use:   "iissd",
		Short: "Serve the IIS ServiceControl Protocol on Linux",
		Long:  rootLong,
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdline.UnknownCommand(c, args[0])
			}
			return runServe(c.Context(), f, stdout, stderr)
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&f.config, "config", "", "configuration `FILE` (default $IISSD_CONFIG, else /etc/iissd/iissd.toml)")
	pf.StringVar(&f.state, "state", "", "the state `DIR` (overrides state.dir and $IISSD_STATE_DIR)")
	fl := root.Flags()
	fl.BoolVar(&f.demo, "demo", false, "run the built-in demo: three services, an administrator 'admin', loopback only")
	fl.StringVar(&f.listen, "listen", "", "activation `ADDR:PORT` (overrides listen.activation; demo default 127.0.0.1:135)")
	fl.StringVar(&f.objectListen, "object-listen", "", "object exporter `ADDR:PORT` (overrides listen.object)")
	fl.StringVar(&f.pprof, "pprof", "", "serve Go profiles (net/http/pprof) on this loopback `ADDR:PORT`")
	root.AddCommand(newStatusCmd(&f, stdout), newReloadCmd(&f, stdout), newUserCmd(&f, stdin, stdout, stderr), newToggleCmd("disable", &f, stdout), newToggleCmd("enable", &f, stdout),
		newDemoSiteCmd(stderr), newDemoServiceCmd())
	cmdline.Setup(root, cmdline.Version())
	return root
}

const rootLong = `iissd serves the IIS ServiceControl Protocol ([MS-IISS]) on Linux: the
DCOM activator and OXID resolver, and the IIisServiceControl object, which
controls the configured Internet services through its own supervisor or
through systemd. Windows tools (iisreset, scripts) and iisctl control it
as they control IIS.

  iissd --config /etc/iissd/iissd.toml     serve a configuration file
  iissd --demo                              serve a built-in demo on loopback
  iissd status [SERVICE...] [--json]        the services as sc queryex shows them
  iissd user add|del|list ...               manage the users file
  iissd disable | enable                    turn remote control off or on

The configuration file is --config, else $IISSD_CONFIG, else
/etc/iissd/iissd.toml; the local commands (status, user, disable,
enable) read the same one and talk to the running server through its
control socket (STATE_DIR/iissd.sock), or edit the files when it is not
running. Every key is in docs/iissd.md. SIGHUP reloads the users file
(iissd also notices changes by itself); SIGTERM or SIGINT shuts down, a
second one forces it.`

func runServe(ctx context.Context, f serveFlags, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.pprof != "" {
		stopPprof, err := startPprof(f.pprof, stderr)
		if err != nil {
			return &cmdline.UsageError{Msg: err.Error()}
		}
		defer stopPprof()
	}
	ctx, cancel := shutdownContext(ctx, stderr)
	defer cancel()
	var err error
	if f.demo {
		err = serveDemo(ctx, f, stdout, stderr)
	} else {
		err = serveConfigFile(ctx, f, stderr)
	}
	if forcedExit(ctx) {
		return &silentExit{1}
	}
	return err
}

func serveConfigFile(ctx context.Context, f serveFlags, stderr io.Writer) error {
	path, _ := localconfPath(f.config)
	cfg, err := LoadConfig(path)
	if err != nil {
		return err
	}
	f.apply(cfg)
	return serve(ctx, cfg, path, stderr, nil)
}

// apply lets command-line flags and $IISSD_STATE_DIR override the file.
func (f serveFlags) apply(cfg *Config) {
	if f.listen != "" {
		cfg.Listen.Activation = f.listen
	}
	if f.objectListen != "" {
		cfg.Listen.Object = f.objectListen
	}
	if d := os.Getenv(envStateDir); d != "" {
		cfg.State.Dir = d
	}
	if f.state != "" {
		cfg.State.Dir = f.state
	}
}
