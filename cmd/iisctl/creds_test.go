package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCredentialSources(t *testing.T) {
	nt := []byte{0x31, 0xd6, 0xcf, 0xe0, 0xd1, 0x6a, 0xe9, 0x31, 0xb7, 0x3c, 0x59, 0xd7, 0xe0, 0xc0, 0x89, 0xc0}
	cases := []struct {
		name   string
		setup  func(e *env)
		args   []string
		want   Credentials
		stderr string
	}{
		{"env", nil, []string{"-u", `CORP\bob`}, Credentials{Domain: "CORP", User: "bob", Password: "envpass"}, ""},
		{"env user", func(e *env) { e.vars[EnvUser] = "alice@corp.example" }, nil,
			Credentials{Domain: "corp.example", User: "alice", Password: "envpass"}, ""},
		{"flag", nil, []string{"-u", "CORP/bob", "-p", "flagpass"}, Credentials{Domain: "CORP", User: "bob", Password: "flagpass"},
			"warning: a password given with -p is visible to other users (ps, shell history); prefer --password-stdin or IISCTL_PASSWORD\n"},
		{"stdin", func(e *env) { e.f.IO.In = strings.NewReader("stdinpass\r\nignored\n") },
			[]string{"-u", "bob", "--password-stdin"}, Credentials{User: "bob", Password: "stdinpass"}, ""},
		{"prompt", func(e *env) {
			delete(e.vars, EnvPassword)
			e.f.IO.InIsTTY = true
			e.f.IO.ReadPassword = func() ([]byte, error) { return []byte("typed"), nil }
		}, []string{"-u", `CORP\bob`}, Credentials{Domain: "CORP", User: "bob", Password: "typed"}, "Password for CORP\\bob: \n"},
		{"nt hash", nil, []string{"-u", "bob", "--hashes", "31d6cfe0d16ae931b73c59d7e0c089c0"},
			Credentials{User: "bob", NTHash: nt}, ""},
		{"lm:nt hash", nil, []string{"-u", "bob", "--hashes", "aad3b435b51404eeaad3b435b51404ee:31D6CFE0D16AE931B73C59D7E0C089C0"},
			Credentials{User: "bob", NTHash: nt}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(false)
			e.hosts["h"] = newStub(true)
			if c.setup != nil {
				c.setup(e)
			}
			if code := e.run(t, append([]string{"iisctl", "kill", "h"}, c.args...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, e.errOut)
			}
			if len(e.creds) != 1 || !credEqual(e.creds[0], c.want) {
				t.Errorf("dialed with %+v, want %+v", e.creds, c.want)
			}
			check(t, "stderr", e.errOut.String(), c.stderr)
			if c.want.Password != "" && strings.Contains(e.out.String()+e.errOut.String(), c.want.Password) {
				t.Errorf("password printed")
			}
		})
	}
}

func credEqual(a, b Credentials) bool {
	return a.Domain == b.Domain && a.User == b.User && a.Password == b.Password && bytes.Equal(a.NTHash, b.NTHash)
}

func TestCredentialErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env)
		args  []string
		msg   string
	}{
		{"no user", nil, nil, `no user: give -u [DOMAIN\]USER or set IISCTL_USER`},
		{"two sources", nil, []string{"-u", "b", "-p", "x", "--password-stdin"}, "use only one of -p, --password-stdin and --hashes"},
		{"bad hash", nil, []string{"-u", "b", "--hashes", "abc"}, "--hashes wants LMHASH:NTHASH or NTHASH, with 32 hex digits for the NT hash"},
		{"no password", func(e *env) { delete(e.vars, EnvPassword) }, []string{"-u", "b"},
			"no password: stdin is not a terminal; use --password-stdin, IISCTL_PASSWORD or --hashes"},
		{"empty stdin", nil, []string{"-u", "b", "--password-stdin"}, "--password-stdin: stdin held no password"},
	}
	for _, c := range cases {
		e := newEnv(false)
		if c.setup != nil {
			c.setup(e)
		}
		if err := newCmdAction(t.Context(), e.f, OpKill, append([]string{"h"}, c.args...), nil); !isUsage(err, c.msg) {
			t.Errorf("%s: %v, want usage error %q", c.name, err, c.msg)
		}
		if len(e.creds) != 0 {
			t.Errorf("%s: dialed", c.name)
		}
	}
}

func isUsage(err error, msg string) bool {
	var ue *usageError
	return errors.As(err, &ue) && ue.msg == msg
}

func TestSplitUser(t *testing.T) {
	for in, want := range map[string][2]string{
		`CORP\bob`: {"CORP", "bob"}, "CORP/bob": {"CORP", "bob"}, "bob@corp.example": {"corp.example", "bob"},
		"bob": {"", "bob"}, `.\admin`: {".", "admin"},
	} {
		if d, u := splitUser(in); d != want[0] || u != want[1] {
			t.Errorf("splitUser(%q) = %q, %q", in, d, u)
		}
	}
}
