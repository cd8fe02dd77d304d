package main

import (
	"errors"
	"flag"
	"io"
	"strconv"
	"strings"
	"time"
)

// newFlagSet returns a quiet FlagSet: errors come back, nothing prints.
// Every flag is registered under its short and long name; Go's flag
// package accepts -name and --name alike.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// addAuthFlags registers the credential flags.
func addAuthFlags(fs *flag.FlagSet, a *AuthFlags) {
	for _, n := range []string{"u", "user"} {
		fs.StringVar(&a.User, n, "", `[DOMAIN\]USER, DOMAIN/USER or USER@DOMAIN`)
	}
	for _, n := range []string{"p", "password"} {
		fs.Func(n, "password (visible in ps)", func(s string) error {
			a.Password, a.PasswordSet = s, true
			return nil
		})
	}
	fs.BoolVar(&a.PasswordStdin, "password-stdin", false, "read the password from stdin")
	fs.StringVar(&a.Hashes, "hashes", "", "LMHASH:NTHASH or NTHASH")
}

// addConnFlags registers the connection flags.
func addConnFlags(fs *flag.FlagSet, c *ConnOptions) {
	fs.Func("auth-level", "integrity or privacy", func(s string) error {
		l, ok := map[string]AuthLevel{"integrity": AuthLevelIntegrity, "privacy": AuthLevelPrivacy}[strings.ToLower(s)]
		if strings.EqualFold(s, "connect") {
			// Windows refuses DCOM activation below packet integrity
			// since KB5004442 ([MS-DCOM] 3.2.4.1.2.2); so do we.
			return errors.New("DCOM activation needs at least integrity; want integrity or privacy")
		}
		if !ok {
			return errors.New("want integrity or privacy")
		}
		c.AuthLevel = l
		return nil
	})
	fs.Func("auth", "ntlm or spnego", func(s string) error {
		t, ok := map[string]AuthType{"ntlm": AuthNTLM, "spnego": AuthSPNEGO}[strings.ToLower(s)]
		if !ok {
			return errors.New("want ntlm or spnego")
		}
		c.AuthType = t
		return nil
	})
	fs.Func("dial-timeout", "time to connect", func(s string) error {
		d, err := parseSeconds(s)
		c.DialTimeout = d
		return err
	})
}

// parseSeconds reads a Go duration ("90s", "2m") or a number of seconds
// ("90", as iisreset's /TIMEOUT).
func parseSeconds(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 90s or 2m, or a number of seconds")
	}
	return d, nil
}

// parseInterleaved parses fs from args, allowing flags after positional
// arguments; "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// splitLeading separates iisctl's own flags (-u, --password-stdin, ...),
// wherever they stand, from iisreset's arguments, which keep their order.
// iisreset's switches (/STOP, -stop, /TIMEOUT:30) never name one of our
// flags. Everything after "--" is iisreset's.
func splitLeading(fs *flag.FlagSet, args []string) (flags, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(rest, args[i+1:]...)
		}
		name, _, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if !strings.HasPrefix(a, "-") || f == nil {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasVal && !(ok && b.IsBoolFlag()) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, rest
}

// flagError turns the flag package's errors into usage errors.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return usageErrorf("%v", err)
}

// errHelp asks the command to print its help and succeed.
var errHelp = errors.New("help requested")
