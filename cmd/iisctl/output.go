package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/iisreset"
	"github.com/iisctl/iisctl/svc"
)

// table prints rows as aligned columns under a header on a terminal, and
// as headerless tab-separated lines otherwise (cli/cli's plain output).
type table struct {
	tty    bool
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	if !t.tty {
		for _, r := range t.rows {
			if _, err := fmt.Fprintln(w, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// writeResults prints the results on stdout, a failed host as a row like
// the others, and the hints on stderr.
func writeResults(o *ActionOptions, results []hostResult) error {
	var err error
	switch {
	case o.JSON:
		err = writeJSON(o.IO.Out, o.Op, results)
	case o.Op == OpStatus:
		err = statusTable(o.IO.OutIsTTY, results).write(o.IO.Out)
	default:
		err = actionTable(o.IO.OutIsTTY, o.Op, results).write(o.IO.Out)
	}
	for _, r := range results {
		if r.Err == nil {
			if o.Op == OpStatus && !o.JSON {
				exitHints(o.IO.ErrOut, r)
			}
			continue
		}
		if h := hint(o, r); h != "" {
			fmt.Fprintf(o.IO.ErrOut, "hint: %s\n", h)
		}
	}
	return err
}

// exitHints says where to look when a stopped service has an exit code:
// the table shows the code, not the why.
func exitHints(w io.Writer, r hostResult) {
	var failed []string
	for _, s := range r.Services {
		if s.State == svc.Stopped && s.Win32ExitCode != 0 {
			failed = append(failed, fmt.Sprintf("%s (%s)", s.Name, exitCode(s)))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "hint: on %s, %s exited with an error: iissd logs each exit with the service's log file "+
			"(backend.log_dir/NAME.log; 'iissd status NAME' on the server shows it); on Windows, see the System event log.\n",
			r.Target, strings.Join(failed, ", "))
	}
}

func statusTable(tty bool, results []hostResult) *table {
	t := &table{tty: tty, header: []string{"HOST", "SERVICE", "DISPLAY NAME", "STATE", "EXIT CODE"}}
	for _, r := range results {
		if r.Err != nil {
			// A failed host keeps its place in the table, as in stop's.
			t.add(r.Target.String(), "-", detail(r), "failed", "-")
			continue
		}
		for _, s := range r.Services {
			t.add(r.Target.String(), s.Name, s.DisplayName, s.State.String(), exitCode(s))
		}
	}
	return t
}

// exitCode is the Win32 exit code, with the service-specific one when
// the Win32 code says to look there.
func exitCode(s iiss.ServiceStatus) string {
	if s.Win32ExitCode == svc.ExitServiceSpecificError {
		return fmt.Sprintf("%d (%d)", s.Win32ExitCode, s.ServiceSpecificExitCode)
	}
	return fmt.Sprint(s.Win32ExitCode)
}

func actionTable(tty bool, op Op, results []hostResult) *table {
	t := &table{tty: tty, header: []string{"HOST", "RESULT", "DETAIL", "DURATION"}}
	for _, r := range results {
		res, det := "ok", successText[op]
		if r.Err != nil {
			res, det = "failed", detail(r)
		}
		t.add(r.Target.String(), res, det, r.Duration.Round(time.Millisecond).String())
	}
	return t
}

// successText is iisreset's wording of each success.
var successText = map[Op]string{
	OpStart: "Internet services successfully started", OpStop: "Internet services successfully stopped",
	OpRestart: "Internet services successfully restarted", OpKill: "Internet services successfully killed",
	OpReboot: "Reboot of the computer was initiated", OpStatus: "",
}

// shortText replaces iisreset's longer messages in tables.
var shortText = map[iiss.HRESULT]string{
	iiss.E_ACCESSDENIED:          "Access denied",
	iiss.ERROR_RESOURCE_DISABLED: "Remote control of the Internet services is disabled on the computer",
}

// detail is one line about a failure: the step, the message, the HRESULT.
func detail(r hostResult) string {
	h := iisreset.Code(r.Err)
	msg, ok := shortText[h]
	if !ok {
		msg = strings.TrimSuffix(iisreset.Message(r.Err), ".")
	}
	if r.Step != "" {
		msg = r.Step + ": " + msg
	}
	return fmt.Sprintf("%s (0x%08X)", msg, uint32(h))
}
