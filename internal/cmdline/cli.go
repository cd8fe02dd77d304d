package cmdline

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// UsageError is a command-line mistake: the program exits 2 and points
// to its help. Flag errors, unknown commands and wrong argument counts
// are UsageErrors.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// Setup applies the settings both programs share to root, which must be
// the root of a complete tree (subcommands already added):
//
//   - errors and usage are not printed by cobra: the program prints the
//     returned error once, behind its name;
//   - flag errors become UsageErrors;
//   - `--version` and a `version` subcommand print "NAME VERSION";
//   - typo suggestions for unknown commands (Levenshtein distance 2);
//   - a `man DIR` subcommand writes a man page per command;
//   - cobra's `completion bash|zsh|fish|powershell` stays.
func Setup(root *cobra.Command, version string) {
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SuggestionsMinimumDistance = 2
	root.Version = version
	root.SetVersionTemplate(root.Name() + " {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{err.Error()} })
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(c.OutOrStdout(), "%s %s\n", root.Name(), version)
			return err
		},
	}, manCommand(root))
	root.InitDefaultCompletionCmd()
}

// NoArgs refuses positional arguments with a UsageError, suggesting a
// subcommand when the argument looks like a mistyped one.
func NoArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if c.HasSubCommands() {
		return UnknownCommand(c, args[0])
	}
	return Usagef("%s takes no arguments (got %q)", c.CommandPath(), args[0])
}

// ExactArgs wants n positional arguments, named for the message.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s: want %s (%s)", c.CommandPath(), what, c.UseLine())
		}
		return nil
	}
}

// UnknownCommand is the UsageError for name, with the closest commands.
func UnknownCommand(c *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return &UsageError{msg}
}

// Execute runs root with args (without the program name) and returns
// the command's error. cobra's own "unknown command" errors become
// UsageErrors.
func Execute(root *cobra.Command, args []string) error {
	root.SetArgs(args)
	_, err := root.ExecuteC()
	var ue *UsageError
	if err != nil && !errors.As(err, &ue) && isCobraUsage(err) {
		return &UsageError{strings.SplitN(err.Error(), "\n", 2)[0]}
	}
	return err
}

// isCobraUsage recognizes the errors cobra returns for the command line
// (it has no error types for them).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "required flag", "if any flags in the group"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// manCommand writes root's man pages (section 1) into a directory.
func manCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the man pages (section 1) into DIR",
		Long: "Writes one man page per command into DIR, e.g.\n" +
			"  " + root.Name() + " man /usr/local/share/man/man1\n" +
			"or, from the repository, go generate ./cmd/... (docs/man).",
		Args: ExactArgs(1, "a directory"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			hdr := manHeader{Title: strings.ToUpper(root.Name()), Section: "1", Source: root.Name() + " " + root.Version,
				Manual: "iisctl manual", Date: manDate()}
			if err := genManTree(root, hdr, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "man pages written to %s\n", args[0])
			return nil
		},
	}
}
