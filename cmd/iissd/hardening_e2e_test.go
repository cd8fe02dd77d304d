package main

import (
	"os"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/internal/peertest"
)

// TestE2EAuditFullDisk is issue 12 point 4 end to end: with the audit
// trail on a full disk (/dev/full), iisctl stop is refused with
// ERROR_LOG_FILE_FULL, the site keeps serving, and the outage is logged
// once.
func TestE2EAuditFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		peertest.Skip(t, "no /dev/full")
	}
	t.Parallel()
	d := startReady(t, demoOptions{Edit: func(c *Config) { c.Log.Audit = "/dev/full" }})
	for range 2 {
		r := admin(t, "stop", d.Target())
		if r.code == 0 {
			t.Fatalf("stop succeeded with the audit trail on a full disk\n%s", r)
		}
		wantContains(t, "iisctl output", r.stdout+r.stderr, "0x800705DE")
	}
	d.waitSite(t, true)
	if n := strings.Count(d.OpLog(), "the audit trail cannot be written"); n != 1 {
		t.Fatalf("outage logged %d times\n%s", n, d.OpLog())
	}
	t.Logf("iisctl stop with the audit trail on /dev/full: refused with 0x800705DE twice, site still up, one log line")
}

// TestE2ERefusedLogonAudited: a wrong password is in the audit trail
// with who, from where, mechanism and reason.
func TestE2ERefusedLogonAudited(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	r := cli(t, []string{"IISCTL_PASSWORD=not-the-password"}, "status", d.Target(), "-u", testAdmin)
	wantCode(t, r, 3)
	r = cli(t, []string{"IISCTL_PASSWORD=" + testUserPass}, "status", d.Target(), "-u", testUser)
	wantCode(t, r, 3)
	var logon, call bool
	for _, m := range auditLines(t, d) {
		user, _ := m["user"].(string)
		addr, _ := m["addr"].(string)
		if m["result"] != "E_ACCESSDENIED" || !strings.HasPrefix(addr, "127.0.0.1:") {
			continue
		}
		switch {
		case m["method"] == "Logon" && strings.HasSuffix(user, testAdmin) && m["reason"] == "bad credentials" &&
			(m["mechanism"] == "NTLM" || m["mechanism"] == "SPNEGO"):
			logon = true
		case m["method"] == "Call" && strings.HasSuffix(user, testUser) && strings.Contains(m["reason"].(string), "not an administrator"):
			call = true
		}
	}
	if !logon || !call {
		t.Fatalf("audit records: refused logon %v, refused non-administrator %v\n%s", logon, call, d.Logs())
	}
}

// TestE2EQuietInfoLog is point 6: at the default level a connection
// writes nothing to the operational log (per-connection lines are DEBUG;
// the rpc layer logs one summary a minute).
func TestE2EQuietInfoLog(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{Edit: func(c *Config) { c.Log.Level = "info" }})
	before := len(d.OpLog())
	const calls = 3
	for range calls {
		wantCode(t, admin(t, "status", d.Target()), 0)
	}
	grown := len(d.OpLog()) - before
	t.Logf("operational log at INFO: %d bytes for %d status calls (%d per call)", grown, calls, grown/calls)
	if grown > 0 {
		t.Fatalf("per-connection lines at INFO:\n%s", d.OpLog()[before:])
	}
}
