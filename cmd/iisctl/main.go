package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/iisctl/iisctl/internal/cmdline"
)

func main() {
	f := systemFactory()
	intr := make(chan os.Signal, 2)
	signal.Notify(intr, os.Interrupt)
	f.Interrupts = intr
	os.Exit(run(context.Background(), os.Args, f))
}

// run is the whole command: argv[0] picks iisreset mode, else the cobra
// tree of newRootCmd. It returns the exit code.
func run(ctx context.Context, argv []string, f *Factory) int {
	if progName(argv[0]) == "iisreset" {
		return report(f.IO, "iisreset", newCmdReset(ctx, f, "iisreset", argv[1:], nil))
	}
	return report(f.IO, "iisctl", cmdline.Execute(newRootCmd(ctx, f, nil), argv[1:]))
}

// progName is argv0's base name, lower case, without ".exe"; both path
// separators count, whatever the OS.
func progName(argv0 string) string {
	base := argv0[strings.LastIndexAny(argv0, `/\`)+1:]
	return strings.TrimSuffix(strings.ToLower(base), ".exe")
}

// report prints err once, behind the program's name, and returns the
// exit code.
func report(ios *IOStreams, prog string, err error) int {
	err = asUsage(err)
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil, errors.As(err, &ee):
	case errors.As(err, &ue):
		help := "iisctl help"
		if prog == "iisreset" {
			help = "iisreset /?"
		}
		fmt.Fprintf(ios.ErrOut, "%s: %s\nRun '%s' for usage.\n", prog, ue.msg, help)
	default:
		fmt.Fprintf(ios.ErrOut, "%s: %v\n", prog, err)
	}
	return codeOf(err)
}

// asUsage turns the command-line layer's usage errors into iisctl's.
func asUsage(err error) error {
	var cue *cmdline.UsageError
	if errors.As(err, &cue) {
		return &usageError{cue.Msg}
	}
	return err
}
