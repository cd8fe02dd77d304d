package krbtest

import (
	"strings"
	"testing"
)

// TestKDCStarts: the harness brings up a KDC, creates a user and a
// service, and kinit/kvno fill a ccache with an RC4 service ticket.
func TestKDCStarts(t *testing.T) {
	k := StartKDC(t)
	k.AddUser("alice", "alice-pw")
	kt := k.AddService("host/srv.iisctl.test")
	cc := k.Kinit("alice", "alice-pw", RC4, "host/srv.iisctl.test")
	out, err := k.run("", "klist", "-e", "-c", cc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "host/srv.iisctl.test@"+Realm) || !strings.Contains(out, "arcfour-hmac") {
		t.Fatalf("klist:\n%s", out)
	}
	if out, err := k.run("", "klist", "-k", "-e", kt); err != nil || !strings.Contains(out, "aes256") || !strings.Contains(out, "arcfour") {
		t.Fatalf("keytab: %v\n%s", err, out)
	}
}
