package main

import (
	"io"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/spf13/cobra"
)

// newDemoSiteCmd and newDemoServiceCmd are the demo's services: iissd
// --demo runs itself with these hidden commands.
func newDemoSiteCmd(stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use: "demo-site", Hidden: true, DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error { return exitCode(runDemoSite(args, stderr)) },
	}
}

func newDemoServiceCmd() *cobra.Command {
	return &cobra.Command{
		Use: "demo-service", Hidden: true, Args: cmdline.NoArgs,
		RunE: func(*cobra.Command, []string) error { return exitCode(runDemoService()) },
	}
}

// exitCode turns a demo service's exit code into an error for run.
func exitCode(code int) error {
	if code == 0 {
		return nil
	}
	return &silentExit{code}
}

// silentExit ends iissd with code, the message already printed.
type silentExit struct{ code int }

func (e *silentExit) Error() string { return "" }
