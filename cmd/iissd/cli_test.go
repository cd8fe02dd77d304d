package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/ntlm"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update creates it)", err, t.Name())
	}
	if got != string(want) {
		t.Fatalf("%s:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// TestHelpGolden: iissd's help as an operator sees it. After a deliberate
// change: go test ./cmd/iissd -run TestHelpGolden -update.
func TestHelpGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"help-iissd.golden":    {"--help"},
		"help-user-add.golden": {"user", "add", "--help"},
	} {
		out, errOut, code := runCmd(t, "", args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%q: exit %d\n%s", args, code, errOut)
		}
		golden(t, name, out)
	}
	// help, -h and help COMMAND are the same help, on stdout, exit 0.
	want, _, _ := runCmd(t, "", "--help")
	for _, args := range [][]string{{"help"}, {"-h"}} {
		if out, _, code := runCmd(t, "", args...); code != 0 || out != want {
			t.Errorf("%q: exit %d, output differs from --help:\n%s", args, code, out)
		}
	}
	if out, _, code := runCmd(t, "", "help", "user"); code != 0 || !strings.Contains(out, "iissd user [command]") {
		t.Errorf("help user: exit %d\n%s", code, out)
	}
}

// TestCommandLine: unknown commands are usage errors (never "serve"),
// wherever the flags stand; one error prefix; suggestions.
func TestCommandLine(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "iissd.toml")
	os.WriteFile(cfg, []byte("[[service]]\nname = \"a\"\ncommand = [\"true\"]\n"), 0o600)
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--config", cfg, "bogus"}, 2, `iissd: unknown command "bogus" for "iissd"` + "\nRun 'iissd help' for usage.\n"},
		{[]string{"bogus", "--config", cfg}, 2, `iissd: unknown command "bogus" for "iissd"` + "\nRun 'iissd help' for usage.\n"},
		{[]string{"dsable"}, 2, `iissd: unknown command "dsable" for "iissd"; did you mean "disable"?` + "\nRun 'iissd help' for usage.\n"},
		{[]string{"user", "ad", "x"}, 2, `iissd: unknown command "ad" for "iissd user"; did you mean "add"?` + "\nRun 'iissd help' for usage.\n"},
		{[]string{"--bogus"}, 2, "iissd: unknown flag: --bogus\nRun 'iissd help' for usage.\n"},
		{[]string{"user", "add"}, 2, "iissd: iissd user add: want one account NAME (iissd user add NAME [flags])\nRun 'iissd help' for usage.\n"},
		{[]string{"--config", filepath.Join(t.TempDir(), "absent.toml")}, 1, "iissd: config "},
	}
	for _, c := range cases {
		_, errOut, code := runCmd(t, "", c.args...)
		if code != c.code || !strings.HasPrefix(errOut, c.err) || strings.Count(errOut, "iissd:") != 1 {
			t.Errorf("%q: exit %d, stderr\n%s\nwant exit %d, stderr starting\n%s", c.args, code, errOut, c.code, c.err)
		}
	}
	out, _, code := runCmd(t, "", "--version")
	out2, _, code2 := runCmd(t, "", "version")
	if code != 0 || code2 != 0 || out != out2 || !strings.HasPrefix(out, "iissd ") {
		t.Errorf("--version %q (%d), version %q (%d)", out, code, out2, code2)
	}
}

// TestUserAddFlagsAnywhere is the documented form of issue 14: flags
// after the name count.
func TestUserAddFlagsAnywhere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	out, errOut, code := runCmd(t, "", "user", "add", "--domain", "CORP", "carol", "--hash", "8846f7eaee8fb117ad06bdd830b7586c", "--users", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := `added CORP\carol to the users file ` + path + " (from --users)\n"; !strings.HasPrefix(out, want) {
		t.Fatalf("stdout %q, want prefix %q", out, want)
	}
	u, err := ntlm.LoadUsersFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := u.Lookup("carol", "corp"); !ok || a.NTHash != ntlm.NTHash("password") || !a.Admin {
		t.Fatalf("carol: %+v %v", a, ok)
	}
	if _, errOut, code := runCmd(t, "pw\n", "user", "add", "x", "--hash", "8846f7eaee8fb117ad06bdd830b7586c", "--password-stdin", "--users", path); code != 2 {
		t.Fatalf("--hash with --password-stdin: exit %d %s", code, errOut)
	}
}
