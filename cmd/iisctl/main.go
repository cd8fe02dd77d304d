package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, systemFactory())
	stop()
	os.Exit(code)
}

// run is the whole command: argv[0] picks iisreset mode, else the first
// argument picks the command. It returns the exit code.
func run(ctx context.Context, argv []string, f *Factory) int {
	var err error
	if progName(argv[0]) == "iisreset" {
		err = newCmdReset(ctx, f, "iisreset", argv[1:], nil)
	} else {
		err = dispatch(ctx, f, argv[1:])
	}
	return report(f.IO, err)
}

// progName is argv0's base name, lower case, without ".exe"; both path
// separators count, whatever the OS.
func progName(argv0 string) string {
	base := argv0[strings.LastIndexAny(argv0, `/\`)+1:]
	return strings.TrimSuffix(strings.ToLower(base), ".exe")
}

func dispatch(ctx context.Context, f *Factory, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(f.IO.ErrOut, mainHelp)
		return &exitError{ExitUsage}
	}
	cmd, rest := args[0], args[1:]
	if op, ok := ops[cmd]; ok {
		return newCmdAction(ctx, f, op, rest, nil)
	}
	switch cmd {
	case "reset":
		return newCmdReset(ctx, f, "iisctl reset", rest, nil)
	case "version", "--version":
		fmt.Fprintf(f.IO.Out, "iisctl %s\n", f.Version)
		return nil
	case "help", "-h", "--help", "-help":
		return helpRun(f.IO, rest)
	}
	return usageErrorf("unknown command %q", cmd)
}

// report prints err as the user should see it and returns the exit code.
func report(ios *IOStreams, err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil, errors.As(err, &ee):
	case errors.As(err, &ue):
		fmt.Fprintf(ios.ErrOut, "iisctl: %s\nRun 'iisctl help' for usage.\n", ue.msg)
	default:
		fmt.Fprintf(ios.ErrOut, "iisctl: %v\n", err)
	}
	return codeOf(err)
}
