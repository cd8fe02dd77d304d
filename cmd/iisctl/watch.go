package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DefaultInterval is --interval's default for status --watch.
const DefaultInterval = 2 * time.Second

// watchStatus repeats status every o.Interval until Ctrl-C (exit 0). On
// a terminal each round replaces the screen, under a header with the
// time, as watch(1) does; otherwise the rounds follow one another, each
// preceded by a "# time" line (not with --json: one array per round).
func watchStatus(ctx context.Context, o *ActionOptions, cred Credentials) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Interrupts != nil {
		go func() {
			select {
			case <-o.Interrupts:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	hosts := make([]string, len(o.Targets))
	for i, t := range o.Targets {
		hosts[i] = t.String()
	}
	for {
		results := runFleet(ctx, o, cred, nil)
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now().Format("15:04:05")
		switch {
		case o.IO.OutIsTTY:
			fmt.Fprintf(o.IO.Out, "\x1b[H\x1b[2JEvery %v: iisctl status %s    %s (Ctrl-C to quit)\n\n", o.Interval, strings.Join(hosts, " "), now)
		case !o.JSON:
			fmt.Fprintf(o.IO.Out, "# %s\n", now)
		}
		if err := writeResults(o, results); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.Interval):
		}
	}
}
