package ctl

import (
	"os"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/peertest"
)

// TestLocalChangeRefusedWhenAuditFails: with the audit trail on a full
// disk (/dev/full), iissd disable over the socket is refused and the
// switch stays as it was (issue 12 point 4).
func TestLocalChangeRefusedWhenAuditFails(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		peertest.Skip(t, "no /dev/full: %v", err)
	}
	defer full.Close()
	h := start(t, func(c *Config) { c.Auditor = iiss.NewJSONAuditor(full) })
	_, err = h.client.SetDisabled(ctxT(t), true)
	if err == nil || !strings.Contains(err.Error(), "audit trail cannot be written") {
		t.Fatalf("disable with a full audit disk: %v", err)
	}
	if d, _ := h.sw.Disabled(); d {
		t.Fatal("the switch was flipped without an audit record")
	}
}
