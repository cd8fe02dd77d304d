// Package cmdline is the command-line layer iisctl and iissd share, on
// github.com/spf13/cobra: the version both report (from the build
// information Go records, so the two programs always agree), the
// settings every root command gets (one error prefix, typo suggestions,
// quiet usage on errors), shell completion and man pages.
//
// A program builds its cobra tree, calls [Setup] on the root, and runs it
// with [Execute], which returns the error for the program to print once,
// behind its own name.
package cmdline
