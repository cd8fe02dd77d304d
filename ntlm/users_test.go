package ntlm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNTHash(t *testing.T) {
	// [MS-NLMP] 4.2.2.1.2 NTOWFv1("Password").
	h := NTHash("Password")
	eq(t, "NTOWFv1", h[:], unhex("a4f49c406510bdcab6824ee7c30fd852"))
}

func TestUsersFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users")
	uf := testUsers(t)
	if err := uf.AddUser("ALICE", "corp", [16]byte{}, false); !errors.Is(err, ErrUserExists) {
		t.Errorf("duplicate (case-insensitive): %v", err)
	}
	if err := uf.AddUser("eve:x", "", [16]byte{}, false); err == nil {
		t.Error("name with ':' accepted")
	}
	if err := SaveUsersFile(path, uf); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved mode %v, err %v", fi.Mode(), err)
	}
	back, err := LoadUsersFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.List(), uf.List(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("round trip: %+v vs %+v", got, want)
	}
	a, ok := back.Lookup("ALICE", "Corp")
	if !ok || !a.Admin || a.NTHash != NTHash("Secret1!") {
		t.Errorf("lookup alice: %+v %v", a, ok)
	}
	if _, ok := back.Lookup("alice", "other"); ok {
		t.Error("alice is bound to CORP")
	}
	if b, ok := back.Lookup("Bob", "anything"); !ok || b.Admin {
		t.Errorf("bob: %+v %v", b, ok)
	}
	if err := back.RemoveUser("BOB", ""); err != nil {
		t.Fatal(err)
	}
	if err := back.RemoveUser("bob", ""); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("second remove: %v", err)
	}
	if _, ok := back.Lookup("bob", "x"); ok {
		t.Error("bob still found")
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".users.tmp*"))
	if len(matches) != 0 {
		t.Errorf("temp files left: %v", matches)
	}
}

func TestUsersFileInsecureMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte("bob::"+strings.Repeat("00", 16)+":user\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644) // umask-proof
	if _, err := LoadUsersFile(path); !errors.Is(err, ErrInsecureFile) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("mode 0644: %v", err)
	}
	os.Chmod(path, 0o640)
	if _, err := LoadUsersFile(path); !errors.Is(err, ErrInsecureFile) {
		t.Fatalf("mode 0640: %v", err)
	}
	os.Chmod(path, 0o600)
	if _, err := LoadUsersFile(path); err != nil {
		t.Fatalf("mode 0600: %v", err)
	}
	if _, err := LoadUsersFile(t.TempDir()); !errors.Is(err, ErrInsecureFile) {
		t.Errorf("directory: %v", err)
	}
}

func TestParseUsersErrors(t *testing.T) {
	good := "# comment\n\n  alice:CORP:" + strings.Repeat("ab", 16) + ":admin  \n"
	uf, err := ParseUsers(strings.NewReader(good))
	if err != nil || len(uf.List()) != 1 || !uf.List()[0].Admin {
		t.Fatalf("good file: %v %+v", err, uf)
	}
	for _, bad := range []string{
		"alice:CORP:" + strings.Repeat("ab", 16),                                               // 3 fields
		"alice:CORP:" + strings.Repeat("ab", 15) + ":admin",                                    // short hash
		"alice:CORP:" + strings.Repeat("zz", 16) + ":admin",                                    // not hex
		"alice:CORP:" + strings.Repeat("ab", 16) + ":root",                                     // role
		":CORP:" + strings.Repeat("ab", 16) + ":user",                                          // empty user
		"a:b:" + strings.Repeat("ab", 16) + ":user\nA:B:" + strings.Repeat("cd", 16) + ":user", // duplicate
	} {
		if _, err := ParseUsers(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestUsersFileKerberosPrincipals: "principal@REALM role" lines authorize
// Kerberos principals, never match NTLM, and survive a round trip.
func TestUsersFileKerberosPrincipals(t *testing.T) {
	u, err := ParseUsers(strings.NewReader("alice@CORP.EXAMPLE admin\nbob@CORP.EXAMPLE user\n" +
		"alice:CORP:00112233445566778899aabbccddeeff:user\n"))
	if err != nil {
		t.Fatal(err)
	}
	if admin, ok := u.Principal("ALICE", "corp.example"); !ok || !admin {
		t.Fatalf("alice: %v %v", admin, ok)
	}
	if admin, ok := u.Principal("bob", "CORP.EXAMPLE"); !ok || admin {
		t.Fatalf("bob: %v %v", admin, ok)
	}
	if _, ok := u.Principal("carol", "CORP.EXAMPLE"); ok {
		t.Fatal("carol found")
	}
	if _, ok := u.Lookup("bob", "CORP.EXAMPLE"); ok {
		t.Fatal("a principal entry matched an NTLM lookup")
	}
	if a, ok := u.Lookup("alice", "CORP"); !ok || a.Admin {
		t.Fatalf("NTLM alice: %+v %v", a, ok)
	}
	again, err := ParseUsers(bytes.NewReader(u.Marshal()))
	if err != nil || len(again.List()) != 3 {
		t.Fatalf("round trip: %v %d", err, len(again.List()))
	}
	for _, bad := range []string{"alice@ admin", "@REALM admin", "alice@REALM root", "alice@REALM admin extra"} {
		if _, err := ParseUsers(strings.NewReader(bad + "\n")); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseUsers(strings.NewReader("alice@R admin\nALICE@r user\n")); err == nil {
		t.Error("duplicate principal accepted")
	}
}
