package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/iisctl/iisctl/internal/ctl"
	"github.com/spf13/cobra"
)

// newStatusCmd is `iissd status [SERVICE...] [--json]`: each Internet
// service's SERVICE_STATUS_PROCESS, asked of the running iissd through
// its control channel, in the shape of Windows' `sc queryex`.
func newStatusCmd(f *serveFlags, stdout io.Writer) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status [SERVICE...]",
		Short: "Show the Internet services as `sc queryex` does (SERVICE_STATUS_PROCESS)",
		Long: "Asks the running iissd, through its control socket (STATE_DIR/iissd.sock, the\n" +
			"state directory found as for disable and enable), for every Internet service,\n" +
			"or the ones named (case-insensitive), and prints one block per service in the\n" +
			"shape of Windows' `sc queryex`: TYPE, STATE with the controls it accepts,\n" +
			"WIN32_EXIT_CODE, SERVICE_EXIT_CODE, CHECKPOINT, WAIT_HINT, PID and FLAGS,\n" +
			"then START_TYPE, DEPENDENCIES, SINCE, RESTARTS and LOG_FILE.\n\n" +
			"--json prints {\"disabled\": BOOL, \"services\": [...]} with the structure's field\n" +
			"names (lpServiceName, dwServiceType, dwCurrentState, dwControlsAccepted,\n" +
			"dwWin32ExitCode, dwServiceSpecificExitCode, dwCheckPoint, dwWaitHint,\n" +
			"dwProcessId, dwServiceFlags) and the extras (state, startType, dependencies,\n" +
			"since, restarts, logFile). Only root and iissd's user may ask. These fields\n" +
			"are local: the wire's Status carries SERVICE_STATUS only ([MS-IISS] 2.2.1).",
		Example: "  iissd status\n  iissd status W3SVC --json",
		Args:    cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, names []string) error {
			loc, err := locate(f, "")
			if err != nil {
				return err
			}
			r, err := ctl.Client{Path: ctl.SocketPath(loc.StateDir)}.Status(cmdContext(c), names...)
			if errors.Is(err, ctl.ErrNotRunning) {
				return fmt.Errorf("%w; state directory %s", err, loc.DescribeState())
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeStatusJSON(stdout, r)
			}
			if err := ctl.WriteQueryEx(stdout, r.Services, time.Now()); err != nil {
				return err
			}
			if r.Disabled != nil && *r.Disabled {
				fmt.Fprintln(stdout, "\nRemote control of the Internet services is disabled on this computer (iissd enable turns it back on).")
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON with SERVICE_STATUS_PROCESS's field names")
	return c
}

// statusJSON is `iissd status --json`; fields are only ever added.
type statusJSON struct {
	Disabled bool                `json:"disabled"`
	Services []ctl.ServiceStatus `json:"services"`
}

func writeStatusJSON(w io.Writer, r *ctl.Response) error {
	out := statusJSON{Services: r.Services}
	if out.Services == nil {
		out.Services = []ctl.ServiceStatus{}
	}
	if r.Disabled != nil {
		out.Disabled = *r.Disabled
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// newReloadCmd is `iissd reload`: the running iissd re-reads its users
// file now (what SIGHUP does), through the control channel.
func newReloadCmd(f *serveFlags, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "reload",
		Short: "Have the running iissd re-read its users file now (as SIGHUP does)",
		Long: "Asks the running iissd, through its control socket (STATE_DIR/iissd.sock), to\n" +
			"re-read its users file now and answers once it has: a file it cannot read or\n" +
			"parse is refused, the server keeps the accounts it had, and the error is\n" +
			"printed. Only root and iissd's user may ask.",
		Args: cmdline.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			loc, err := locate(f, "")
			if err != nil {
				return err
			}
			msg, err := ctl.Client{Path: ctl.SocketPath(loc.StateDir)}.Reload(cmdContext(c))
			if errors.Is(err, ctl.ErrNotRunning) {
				return fmt.Errorf("%w; state directory %s", err, loc.DescribeState())
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, msg)
			return nil
		},
	}
}
