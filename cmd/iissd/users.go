package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/iisctl/iisctl/internal/ctl"
	"github.com/iisctl/iisctl/internal/localconf"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// newUserCmd is `iissd user add|del|list`: the users file holds NT
// hashes (password-equivalent) and is kept at mode 0600. When iissd runs
// (and --users is not given) the change goes through its control channel
// and the server uses it before the command returns; otherwise the file
// is edited.
func newUserCmd(f *serveFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var usersFlag string
	c := &cobra.Command{
		Use:   "user",
		Short: "Manage the users file (add, del, list)",
		Long: "Manages the accounts that may authenticate to iissd: the users file\n" +
			"(--users, else security.users_file of the configuration the server reads:\n" +
			"--config, $IISSD_CONFIG, /etc/iissd/iissd.toml; default /etc/iissd/users).\n" +
			"It holds NT hashes, which are password-equivalent: iissd keeps it at mode\n" +
			"0600 and refuses it otherwise. A running iissd is asked through its control\n" +
			"socket (STATE_DIR/iissd.sock) and uses the change at once; without one (or\n" +
			"with --users) the file is edited. The output says which.",
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdline.UnknownCommand(c, args[0])
			}
			return cmdline.Usagef("iissd user: name a command: add, del or list")
		},
	}
	c.PersistentFlags().StringVar(&usersFlag, "users", "", "users `FILE` (default security.users_file of the configuration)")
	path := func() (localconf.Location, error) { return locate(f, usersFlag) }

	var domain, hash string
	var notAdmin, pwStdin bool
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add an account, or replace its hash",
		Long: "Adds the account NAME with the administrator role (unless --not-admin),\n" +
			"or replaces its hash. The password comes from a prompt on a terminal, from\n" +
			"the first line of stdin (--password-stdin, or when stdin is not a terminal),\n" +
			"or --hash gives the NT hash itself. Only administrators may use the\n" +
			"IIS ServiceControl interface.",
		Example: "  iissd user add alice\n" +
			"  iissd user add --domain CORP carol --hash 8846f7eaee8fb117ad06bdd830b7586c\n" +
			"  printf '%s\\n' \"$PW\" | iissd user add bob --password-stdin --not-admin",
		Args: cmdline.ExactArgs(1, "one account NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			loc, err := path()
			if err != nil {
				return err
			}
			h, err := accountHash(hash, pwStdin, stdin, stderr)
			if err != nil {
				return err
			}
			o, err := usersVia(cmdContext(c), loc, usersFlag,
				func(ctx context.Context, cl ctl.Client) (string, error) {
					return cl.AddUser(ctx, args[0], domain, h, !notAdmin)
				},
				func() error {
					return editUsers(loc.UsersFile, func(u *ntlm.UsersFile) error { return u.AddUser(args[0], domain, h, !notAdmin) })
				})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added %s to the users file %s\n  %s\n", accountName(domain, args[0]), loc.DescribeUsers(), o)
			return nil
		},
	}
	add.Flags().StringVar(&domain, "domain", "", "the account's `DOMAIN` (default: any domain the client names)")
	add.Flags().BoolVar(&notAdmin, "not-admin", false, "without the administrator role: it can authenticate, but IIS control is refused")
	add.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin")
	add.Flags().StringVar(&hash, "hash", "", "the `NTHASH` (32 hex digits) instead of a password")
	add.MarkFlagsMutuallyExclusive("password-stdin", "hash")

	var delDomain string
	del := &cobra.Command{
		Use:   "del NAME",
		Short: "Remove an account",
		Args:  cmdline.ExactArgs(1, "one account NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			loc, err := path()
			if err != nil {
				return err
			}
			o, err := usersVia(cmdContext(c), loc, usersFlag,
				func(ctx context.Context, cl ctl.Client) (string, error) { return cl.DelUser(ctx, args[0], delDomain) },
				func() error {
					return editUsers(loc.UsersFile, func(u *ntlm.UsersFile) error { return u.RemoveUser(args[0], delDomain) })
				})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "removed %s from the users file %s\n  %s\n", accountName(delDomain, args[0]), loc.DescribeUsers(), o)
			return nil
		},
	}
	del.Flags().StringVar(&delDomain, "domain", "", "the account's `DOMAIN`")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the accounts",
		Args:  cmdline.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			loc, err := path()
			if err != nil {
				return err
			}
			var users []ctl.User
			o, err := usersVia(cmdContext(c), loc, usersFlag,
				func(ctx context.Context, cl ctl.Client) (string, error) {
					var err error
					users, err = cl.ListUsers(ctx)
					return "", err
				},
				func() error {
					var err error
					users, err = readUsers(loc.UsersFile)
					return err
				})
			if err != nil {
				return err
			}
			if o.ViaServer {
				fmt.Fprintf(stderr, "the accounts the running iissd uses (control socket %s)\n", o.Socket)
			} else if o.NotRunning != nil {
				fmt.Fprintf(stderr, "iissd is not running; the users file %s\n", loc.DescribeUsers())
			}
			return userList(users, stdout)
		},
	}
	c.AddCommand(add, del, list)
	return c
}

func accountName(domain, name string) string {
	if domain == "" {
		return name
	}
	return domain + `\` + name
}

// editUsers loads the file (an absent one is empty), applies f and saves
// it with mode 0600.
func editUsers(path string, f func(*ntlm.UsersFile) error) error {
	u, err := ntlm.LoadUsersFile(path)
	if errors.Is(err, os.ErrNotExist) {
		u, err = ntlm.ParseUsers(strings.NewReader(""))
	}
	if err != nil {
		return err
	}
	if err := f(u); err != nil {
		return err
	}
	return ntlm.SaveUsersFile(path, u)
}

// usersVia changes (or reads) the users through the running iissd's
// control channel, or the file when no iissd runs or --users names a
// file explicitly (the running server may use another one).
func usersVia(ctx context.Context, loc localconf.Location, usersFlag string,
	viaServer func(context.Context, ctl.Client) (string, error), viaFile func() error) (usersOutcome, error) {
	if usersFlag != "" {
		return usersOutcome{}, viaFile()
	}
	o, err := ctl.Fallback(ctx, loc.StateDir, viaServer, viaFile)
	return usersOutcome{o}, err
}

// usersOutcome says which way a users change went.
type usersOutcome struct{ ctl.Outcome }

func (o usersOutcome) String() string {
	switch {
	case o.ViaServer:
		return o.Describe()
	case o.NotRunning != nil:
		return "iissd is not running (no control socket at " + o.Socket + "): changed the file; the server reads it when it starts"
	}
	return "changed the file named by --users; a running iissd reloads its own users file by itself"
}

func readUsers(path string) ([]ctl.User, error) {
	u, err := ntlm.LoadUsersFile(path)
	if err != nil {
		return nil, err
	}
	var out []ctl.User
	for _, e := range u.List() {
		out = append(out, ctl.User{Name: e.User, Domain: e.Domain, Admin: e.Admin})
	}
	return out, nil
}

func userList(users []ctl.User, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tDOMAIN\tROLE")
	for _, e := range users {
		role, dom := "user", e.Domain
		if e.Admin {
			role = "admin"
		}
		if dom == "" {
			dom = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, dom, role)
	}
	return tw.Flush()
}

// accountHash gets the NT hash from --hash, standard input, or a prompt.
func accountHash(hexHash string, fromStdin bool, stdin io.Reader, stderr io.Writer) ([16]byte, error) {
	var h [16]byte
	if hexHash != "" {
		b, err := hex.DecodeString(hexHash)
		if err != nil || len(b) != 16 {
			return h, errors.New("--hash wants 32 hex digits")
		}
		copy(h[:], b)
		return h, nil
	}
	pw, err := readPassword(fromStdin, stdin, stderr)
	if err != nil {
		return h, err
	}
	if pw == "" {
		return h, errors.New("empty password refused")
	}
	return ntlm.NTHash(pw), nil
}

func readPassword(fromStdin bool, stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && !fromStdin && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
