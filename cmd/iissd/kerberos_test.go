package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ntlm"
)

func TestKerberosConfigValidate(t *testing.T) {
	for _, c := range []struct {
		k   KerberosConfig
		err string
	}{
		{KerberosConfig{}, ""},
		{KerberosConfig{Keytab: "/k", SPNs: []string{"host/web01.example.com"}, AdminSIDs: []string{"S-1-5-21-1-2-3-512"}}, ""},
		{KerberosConfig{SPNs: []string{"host/a"}}, "need kerberos.keytab"},
		{KerberosConfig{Keytab: "/k", SPNs: []string{"host/a@REALM"}}, "without realm"},
		{KerberosConfig{Keytab: "/k", SPNs: []string{"web01"}}, "service/host"},
		{KerberosConfig{Keytab: "/k", AdminSIDs: []string{"Domain Admins"}}, "want a SID"},
	} {
		err := c.k.validate()
		if (c.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%+v: %v, want %q", c.k, err, c.err)
		}
	}
}

func TestKerberosKeytabMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kt")
	if err := os.WriteFile(p, []byte{5, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadKeytab(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable keytab: %v", err)
	}
}

// TestKerberosAdmin: principal lines first, then the realm mapping to a
// users-file domain, then PAC SIDs.
func TestKerberosAdmin(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users")
	u, err := ntlm.ParseUsers(strings.NewReader("alice@CORP.EXAMPLE admin\nbob@CORP.EXAMPLE user\n" +
		"dave:CORP:00112233445566778899aabbccddeeff:admin\nerin:CORP:00112233445566778899aabbccddeeff:user\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ntlm.SaveUsersFile(path, u); err != nil {
		t.Fatal(err)
	}
	creds, err := newReloadableCreds(path)
	if err != nil {
		t.Fatal(err)
	}
	k := KerberosConfig{Realms: map[string]string{"CORP.EXAMPLE": "CORP"}, AdminSIDs: []string{"S-1-5-21-9-512"}}
	for _, c := range []struct {
		id   kerberos.Identity
		want bool
	}{
		{kerberos.Identity{Principal: "alice", Realm: "CORP.EXAMPLE"}, true},
		{kerberos.Identity{Principal: "bob", Realm: "CORP.EXAMPLE", SIDs: []string{"S-1-5-21-9-512"}}, false}, // his line wins
		{kerberos.Identity{Principal: "dave", Realm: "corp.example"}, true},                                   // mapped realm
		{kerberos.Identity{Principal: "erin", Realm: "CORP.EXAMPLE"}, false},
		{kerberos.Identity{Principal: "dave", Realm: "OTHER.EXAMPLE"}, false},
		{kerberos.Identity{Principal: "frank", Realm: "AD.EXAMPLE", SIDs: []string{"S-1-5-21-9-513", "S-1-5-21-9-512"}}, true},
		{kerberos.Identity{Principal: "gail", Realm: "AD.EXAMPLE", UserSID: "S-1-5-21-9-1104"}, false},
	} {
		if got := kerberosAdmin(k, creds, c.id); got != c.want {
			t.Errorf("%s@%s: admin %v, want %v", c.id.Principal, c.id.Realm, got, c.want)
		}
	}
}
