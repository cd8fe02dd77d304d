package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Environment variables read by iisctl.
const (
	EnvUser     = "IISCTL_USER"
	EnvPassword = "IISCTL_PASSWORD"
)

// AuthFlags are the credential flags as given; [resolveCredentials]
// turns them into Credentials.
type AuthFlags struct {
	User          string // [DOMAIN\]USER, DOMAIN/USER or USER@DOMAIN
	Password      string // -p: visible in ps
	PasswordSet   bool
	PasswordStdin bool
	Hashes        string // LMHASH:NTHASH or NTHASH
	// Kerberos (-k) uses the ticket cache; Keytab the keys of -u in a
	// keytab; SPN, Realm and KDC tune Kerberos (see resolveKerberos).
	Kerberos        bool
	Keytab          string
	SPN, Realm, KDC string
}

// splitUser separates the domain from DOMAIN\USER, DOMAIN/USER or
// USER@DOMAIN.
func splitUser(s string) (domain, user string) {
	if d, u, ok := strings.Cut(s, `\`); ok {
		return d, u
	}
	if d, u, ok := strings.Cut(s, "/"); ok {
		return d, u
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return s[i+1:], s[:i]
	}
	return "", s
}

// parseHashes reads impacket's LMHASH:NTHASH or a lone NTHASH; the LM
// half is ignored.
func parseHashes(s string) ([]byte, error) {
	if _, nt, ok := strings.Cut(s, ":"); ok {
		s = nt
	}
	h, err := hex.DecodeString(s)
	if err != nil || len(h) != 16 {
		return nil, errors.New("--hashes wants LMHASH:NTHASH or NTHASH, with 32 hex digits for the NT hash")
	}
	return h, nil
}

// secret holds password bytes so that they can be zeroed after use. Go
// strings cannot be wiped, so only the buffers iisctl owns are cleared.
type secret struct{ b []byte }

func (s *secret) wipe() {
	for i := range s.b {
		s.b[i] = 0
	}
	s.b = nil
}

// resolveCredentials builds the Credentials: --hashes, -p,
// --password-stdin, $IISCTL_PASSWORD, then a prompt when stdin is a
// terminal. The caller must call wipe when the connections are made.
func resolveCredentials(f AuthFlags, ios *IOStreams, getenv func(string) string) (Credentials, func(), error) {
	user := f.User
	if user == "" {
		user = getenv(EnvUser)
	}
	if user == "" {
		return Credentials{}, nil, usageErrorf("no user: give -u [DOMAIN\\]USER or set %s", EnvUser)
	}
	if n := countTrue(f.PasswordSet, f.PasswordStdin, f.Hashes != ""); n > 1 {
		return Credentials{}, nil, usageErrorf("use only one of -p, --password-stdin and --hashes")
	}
	c := Credentials{}
	c.Domain, c.User = splitUser(user)
	if f.Hashes != "" {
		h, err := parseHashes(f.Hashes)
		if err != nil {
			return Credentials{}, nil, usageErrorf("%v", err)
		}
		c.NTHash = h
		return c, func() { clear(h) }, nil
	}
	pw, err := password(f, ios, getenv, c)
	if err != nil {
		return Credentials{}, nil, err
	}
	c.Password = string(pw.b)
	pw.wipe()
	return c, func() {}, nil
}

func password(f AuthFlags, ios *IOStreams, getenv func(string) string, c Credentials) (*secret, error) {
	switch {
	case f.PasswordSet:
		fmt.Fprintln(ios.ErrOut, "warning: a password given with -p is visible to other users (ps, shell history); prefer --password-stdin or "+EnvPassword)
		return &secret{[]byte(f.Password)}, nil
	case f.PasswordStdin:
		return readPasswordLine(ios.In)
	case getenv(EnvPassword) != "":
		return &secret{[]byte(getenv(EnvPassword))}, nil
	case ios.InIsTTY && ios.ReadPassword != nil:
		fmt.Fprintf(ios.ErrOut, "Password for %s: ", displayUser(c))
		b, err := ios.ReadPassword()
		fmt.Fprintln(ios.ErrOut)
		if err != nil {
			return nil, fmt.Errorf("reading the password: %w", err)
		}
		return &secret{b}, nil
	}
	return nil, usageErrorf("no password: stdin is not a terminal; use --password-stdin, %s or --hashes", EnvPassword)
}

// readPasswordLine reads the first line of r, without its line ending.
func readPasswordLine(r io.Reader) (*secret, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		clear(b)
		return nil, fmt.Errorf("reading the password from stdin: %w", err)
	}
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	s := &secret{append([]byte(nil), line...)}
	clear(b)
	if len(s.b) == 0 {
		return nil, usageErrorf("--password-stdin: stdin held no password")
	}
	return s, nil
}

func displayUser(c Credentials) string {
	if c.Domain == "" {
		return c.User
	}
	return c.Domain + `\` + c.User
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
