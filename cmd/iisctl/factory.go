package main

import (
	"io"
	"os"
	"time"

	"github.com/iisctl/iisctl/internal/cmdline"
	"golang.org/x/term"
)

// IOStreams are the command's standard streams and what is known about
// them; tests replace every field.
type IOStreams struct {
	In           io.Reader
	Out, ErrOut  io.Writer
	InIsTTY      bool
	OutIsTTY     bool
	ErrIsTTY     bool                   // progress is drawn on stderr only when it is a terminal
	ReadPassword func() ([]byte, error) // reads a line from the terminal without echo
}

// Factory holds the dependencies every command receives (cli/cli's
// cmdutil.Factory).
type Factory struct {
	IO      *IOStreams
	Dial    Dialer
	Getenv  func(string) string
	Since   func(time.Time) time.Duration
	Version string
	// Interrupts delivers Ctrl-C (SIGINT). The first one cancels a status
	// and only warns during a state-changing command, which goes on at
	// the server; the second stops waiting. Nil: none.
	Interrupts <-chan os.Signal
}

// systemFactory is the Factory of the real process.
func systemFactory() *Factory {
	in := int(os.Stdin.Fd())
	return &Factory{
		IO: &IOStreams{
			In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			InIsTTY:      term.IsTerminal(in),
			OutIsTTY:     term.IsTerminal(int(os.Stdout.Fd())),
			ErrIsTTY:     term.IsTerminal(int(os.Stderr.Fd())),
			ReadPassword: func() ([]byte, error) { return term.ReadPassword(in) },
		},
		Dial:    defaultDialer,
		Getenv:  os.Getenv,
		Since:   time.Since,
		Version: cmdline.Version(),
	}
}
