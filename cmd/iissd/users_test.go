package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ntlm"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func TestUserCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if _, e, c := runCmd(t, "s3cret\n", "user", "add", "--users", path, "--password-stdin", "alice"); c != 0 {
		t.Fatalf("add alice: %d %s", c, e)
	}
	if _, e, c := runCmd(t, "", "user", "add", "--users", path, "--domain", "CORP", "--not-admin",
		"--hash", "8846f7eaee8fb117ad06bdd830b7586c", "bob"); c != 0 {
		t.Fatalf("add bob: %d %s", c, e)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode %v, %v", fi.Mode(), err)
	}
	u, err := ntlm.LoadUsersFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := u.Lookup("ALICE", "anything"); !ok || !a.Admin || a.NTHash != ntlm.NTHash("s3cret") {
		t.Fatalf("alice: %+v %v", a, ok)
	}
	if b, ok := u.Lookup("bob", "corp"); !ok || b.Admin || b.NTHash != ntlm.NTHash("password") {
		t.Fatalf("bob: %+v %v", b, ok)
	}
	out, _, _ := runCmd(t, "", "user", "list", "--users", path)
	if !strings.Contains(out, "alice") || !strings.Contains(out, "admin") || !strings.Contains(out, "CORP") {
		t.Fatalf("list:\n%s", out)
	}
	if _, e, c := runCmd(t, "", "user", "del", "--users", path, "alice"); c != 0 {
		t.Fatalf("del: %d %s", c, e)
	}
	if out, _, _ := runCmd(t, "", "user", "list", "--users", path); strings.Contains(out, "alice") {
		t.Fatalf("alice still listed:\n%s", out)
	}
	if _, _, c := runCmd(t, "\n", "user", "add", "--users", path, "--password-stdin", "empty"); c == 0 {
		t.Fatal("empty password accepted")
	}
	os.Chmod(path, 0o644)
	if _, e, c := runCmd(t, "", "user", "list", "--users", path); c == 0 || !strings.Contains(e, "0") {
		t.Fatalf("a group/world-readable users file was accepted: %s", e)
	}
}

func TestDisableEnableSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	if _, e, c := runCmd(t, "", "disable", "--state", dir); c != 0 {
		t.Fatalf("disable: %s", e)
	}
	st, _ := iiss.NewFileDisableState(dir) // a fresh reader, as after a restart
	if d, err := st.Disabled(); !d || err != nil {
		t.Fatalf("disabled = %v, %v", d, err)
	}
	if _, e, c := runCmd(t, "", "enable", "--state", dir); c != 0 {
		t.Fatalf("enable: %s", e)
	}
	if d, _ := st.Disabled(); d {
		t.Fatal("still disabled after enable")
	}
}
