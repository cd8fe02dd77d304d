package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/iisctl/iisctl/ntlm"
	"golang.org/x/term"
)

// runUser implements `iissd user add|del|list`: the users file holds NT
// hashes (password-equivalent) and is kept at mode 0600.
func runUser(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("iissd user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("users", "", "users file (default: security.users_file of --config, else /etc/iissd/users)")
	cfgPath := fs.String("config", "", "iissd configuration file")
	domain := fs.String("domain", "", "the account's domain (empty: any domain the client names)")
	notAdmin := fs.Bool("not-admin", false, "add the account without the administrator flag (it can authenticate, but IIS control is refused)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	hash := fs.String("hash", "", "the NT hash as 32 hex digits, instead of a password")
	usage := "usage: iissd user add|del|list [--users FILE] [--domain D] [--not-admin] [--password-stdin|--hash H] [NAME]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	verb := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	path, err := usersPath(*file, *cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	name := fs.Arg(0)
	switch {
	case verb == "list":
		return userList(path, stdout, stderr)
	case (verb == "add" || verb == "del") && name == "":
		fmt.Fprintf(stderr, "iissd user %s: name the account\n", verb)
		return 2
	case verb == "add":
		h, err := accountHash(*hash, *pwStdin, stdin, stderr)
		if err == nil {
			err = editUsers(path, func(u *ntlm.UsersFile) error { return u.AddUser(name, *domain, h, !*notAdmin) })
		}
		return report(err, stderr, stdout, fmt.Sprintf("added %s to %s", name, path))
	case verb == "del":
		err := editUsers(path, func(u *ntlm.UsersFile) error { return u.RemoveUser(name, *domain) })
		return report(err, stderr, stdout, fmt.Sprintf("removed %s from %s", name, path))
	}
	fmt.Fprintf(stderr, "iissd user: unknown command %q (add, del or list)\n", verb)
	return 2
}

func report(err error, stderr, stdout io.Writer, ok string) int {
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stdout, ok)
	return 0
}

func usersPath(file, cfgPath string) (string, error) {
	if file != "" {
		return file, nil
	}
	if cfgPath != "" {
		c, err := LoadConfig(cfgPath)
		if err != nil {
			return "", err
		}
		return c.Security.UsersFile, nil
	}
	return "/etc/iissd/users", nil
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

func userList(path string, stdout, stderr io.Writer) int {
	u, err := ntlm.LoadUsersFile(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tDOMAIN\tROLE")
	for _, e := range u.List() {
		role, dom := "user", e.Domain
		if e.Admin {
			role = "admin"
		}
		if dom == "" {
			dom = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.User, dom, role)
	}
	tw.Flush()
	return 0
}

// accountHash gets the NT hash from --hash, standard input, or a prompt.
func accountHash(hexHash string, fromStdin bool, stdin io.Reader, stderr io.Writer) ([16]byte, error) {
	var h [16]byte
	if hexHash != "" {
		b, err := hex.DecodeString(hexHash)
		if err != nil || len(b) != 16 {
			return h, errors.New("iissd user: --hash wants 32 hex digits")
		}
		copy(h[:], b)
		return h, nil
	}
	pw, err := readPassword(fromStdin, stdin, stderr)
	if err != nil {
		return h, err
	}
	if pw == "" {
		return h, errors.New("iissd user: empty password refused")
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
