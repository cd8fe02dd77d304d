package main

import (
	"context"
	"fmt"
	"time"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/spf13/cobra"
)

// hooks replace the commands' run functions in tests.
type hooks struct {
	action func(*ActionOptions) error
	reset  func(*ResetOptions) error
}

// newRootCmd builds iisctl's command tree. Credential and connection
// flags belong to the root, so they may stand anywhere: before the
// command (iisctl -u alice status web01), between or after the hosts.
func newRootCmd(ctx context.Context, f *Factory, h *hooks) *cobra.Command {
	if h == nil {
		h = &hooks{}
	}
	var auth AuthFlags
	conn := ConnOptions{DialTimeout: DefaultDialTimeout, AuthType: AuthNegotiate}
	root := &cobra.Command{
		Use:   "iisctl",
		Short: "Control the Internet services of IIS and iissd hosts",
		Long:  mainLong,
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdline.UnknownCommand(c, args[0])
			}
			c.SetOut(f.IO.ErrOut)
			c.Help()
			return &exitError{ExitUsage}
		},
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	pf := root.PersistentFlags()
	addAuthFlags(pf, &auth)
	addConnFlags(pf, &conn)
	// -v is a root flag so that it, too, may stand before the command:
	// otherwise cobra gives the root's unused -v to --version, and
	// `iisctl -v stop web01` would print the version and stop nothing.
	var verbose bool
	pf.BoolVarP(&verbose, "verbose", "v", false, "say how each host authenticated (Kerberos or NTLM) on stderr")
	for _, op := range []Op{OpStatus, OpStart, OpStop, OpRestart, OpKill, OpReboot} {
		root.AddCommand(newActionCmd(ctx, f, op, &auth, &conn, &verbose, h.action))
	}
	root.AddCommand(newResetCmd(ctx, f, h.reset))
	root.AddCommand(newExporterCmd(ctx, f, &auth, &conn))
	for _, t := range helpTopics {
		tc := &cobra.Command{Use: t.name, Short: t.short, Long: t.text}
		tc.SetHelpFunc(printLong)
		root.AddCommand(tc)
	}
	cmdline.Setup(root, f.Version)
	return root
}

// newActionCmd is one of the host commands.
func newActionCmd(ctx context.Context, f *Factory, op Op, auth *AuthFlags, conn *ConnOptions, verbose *bool, runF func(*ActionOptions) error) *cobra.Command {
	o := &ActionOptions{IO: f.IO, Dial: f.Dial, Getenv: f.Getenv, Since: f.Since, Interrupts: f.Interrupts, Op: op,
		Parallel: DefaultParallel, Interval: DefaultInterval}
	c := &cobra.Command{
		Use:   string(op) + " HOST[:PORT]...",
		Short: opShort[op],
		Long:  opLong[op],
		RunE: func(c *cobra.Command, hosts []string) error {
			o.Auth, o.Conn, o.Verbose = *auth, *conn, *verbose
			if err := o.setTargets(hosts); err != nil {
				return err
			}
			if o.Watch && o.Interval < 100*time.Millisecond {
				return usageErrorf("--interval must be at least 100ms")
			}
			if runF != nil {
				return runF(o)
			}
			return actionRun(ctx, o)
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	if op.hasTimeout() {
		fs.Var(funcValue{"duration", func(s string) error {
			d, err := parseSeconds(s)
			o.Timeout, o.TimeoutSet = d, true
			return err
		}}, "timeout", "server-side timeout: 90s, 2m or plain seconds ("+timeoutDefaults[op]+")")
	}
	if op.hasForce() {
		fs.BoolVar(&o.NoForce, "no-force", false, "do not kill the services if they do not stop in time")
	}
	if op == OpStatus {
		fs.BoolVarP(&o.Watch, "watch", "w", false, "show the status again every --interval until Ctrl-C")
		fs.DurationVar(&o.Interval, "interval", DefaultInterval, "time between two --watch rounds")
	}
	fs.StringVar(&o.Inventory.HostsFile, "hosts-file", "", "read hosts from `FILE` (one HOST[:PORT] a line, # comments, [group] sections; - is stdin)")
	fs.StringSliceVar(&o.Inventory.Groups, "group", nil, "only the hosts of these [group] sections of the hosts file")
	fs.StringVar(&o.Inventory.CredsFile, "credentials-file", "", "per-host accounts in `FILE` (0600): lines PATTERN USER PASSWORD")
	if op == OpRestart || op == OpStop || op == OpStart {
		r := &o.Rolling
		fs.BoolVar(&r.Enabled, "rolling", false, "go through the hosts in batches, each healthy before the next batch")
		fs.StringVar(&r.Batch, "batch", "", "hosts per batch with --rolling: N or P% (default 1)")
		fs.StringVar(&r.Health, "health", "", "health check after each host: http://{host}/path or tcp://{host}:PORT")
		fs.IntVar(&r.HealthStatus, "health-status", DefaultHealthStatus, "the HTTP status --health expects")
		fs.DurationVar(&r.HealthTimeout, "health-timeout", DefaultHealthTimeout, "time for one health check")
		fs.IntVar(&r.HealthRetries, "health-retries", DefaultHealthRetries, "health checks repeated after a failure")
		fs.DurationVar(&r.HealthInterval, "health-interval", DefaultHealthInterval, "time between health checks")
		fs.IntVar(&r.MaxFailures, "max-failures", 1, "failed hosts after which the roll stops (at the end of their batch)")
	}
	fs.BoolVar(&o.JSON, "json", false, "print a JSON array, one object per host (iisctl help json)")
	fs.IntVar(&o.Parallel, "parallel", DefaultParallel, "hosts at once")
	return c
}

var opShort = map[Op]string{
	OpStatus:  "Show every service of each host",
	OpStart:   "Start the services that start automatically",
	OpStop:    "Stop the services (forced after --timeout)",
	OpRestart: "Stop, then start the services",
	OpKill:    "Terminate the services' processes",
	OpReboot:  "Reboot the computer",
}

var opLong = map[Op]string{
	OpStatus:  "Shows the state of every Internet service of each host:\nHOST, SERVICE, DISPLAY NAME, STATE, EXIT CODE." + hostsNote,
	OpStart:   "Starts the Internet services that start automatically." + hostsNote,
	OpStop:    "Stops the Internet services; with force (the default) the processes\nleft after --timeout are killed." + hostsNote,
	OpRestart: "Stops then starts the Internet services, as iisreset /RESTART." + hostsNote,
	OpKill:    "Terminates every process of the Internet services at once." + hostsNote,
	OpReboot:  "Reboots the computer after --timeout. Windows answers E_NOTIMPL (exit 7);\niissd reboots only when configured to." + hostsNote,
}

const hostsNote = `

HOST is a name or address; PORT defaults to 135 (DCOM activation); write
IPv6 with a port as [addr]:port. Hosts run concurrently (--parallel) and
are reported in the order given. See 'iisctl help credentials' and
'iisctl help exit-codes'.`

var timeoutDefaults = map[Op]string{
	OpStart: "default 60s", OpStop: "default 60s", OpRestart: "default 20s to stop, then 60s to start",
	OpReboot: "default 0s",
}

// newResetCmd is iisreset's command line: cobra leaves it alone, so that
// iisreset's switches (/STOP, -stop, /TIMEOUT:30) reach iisreset.Parse
// unchanged, and iisctl's own flags may stand anywhere among them.
func newResetCmd(ctx context.Context, f *Factory, runF func(*ResetOptions) error) *cobra.Command {
	c := &cobra.Command{
		Use:                "reset [COMPUTER] [/SWITCH...]",
		Short:              "Run iisreset's command line and print its lines",
		Long:               iisresetHelp + resetFlagsHelp,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			return newCmdReset(ctx, f, "iisctl reset", args, runF)
		},
	}
	c.SetHelpFunc(printLong)
	return c
}

// printLong is the help of commands whose Long is their whole help.
func printLong(c *cobra.Command, _ []string) { fmt.Fprint(c.OutOrStdout(), c.Long) }
