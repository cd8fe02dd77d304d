package main

// impacket's DCOMConnection with Kerberos (doKerberos, tickets from a
// kinit/kvno ccache through KRB5CCNAME, as impacket cannot do MIT's TGS
// itself) drives iissd's IIisServiceControl: SPNEGO with a GSS-framed
// AP-REQ on the activation and the object connections, sealed calls.

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/iisctl/iisctl/internal/krbtest"
)

func TestImpacketKerberos(t *testing.T) {
	k := krbtest.StartKDC(t)
	k.AddUser("alice", "alice-krb-pw")
	keytab := filepath.Join(t.TempDir(), "iissd.keytab")
	var spn string
	d := impacketDemoWith(t, 11, func(c *Config) {
		// impacket names the service host/<address it dials>.
		host, _, err := net.SplitHostPort(c.Listen.Activation)
		if err != nil {
			t.Fatal(err)
		}
		spn = "host/" + host
		k.AddService(spn)
		k.ExportKeytab(keytab, spn)
		c.Kerberos = KerberosConfig{Keytab: keytab, SPNs: []string{spn}}
		f, err := os.OpenFile(c.Security.UsersFile, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("alice@IISCTL.TEST admin\n")
		f.Close()
	})
	cc := k.Kinit("alice", "alice-krb-pw", "", spn)
	t.Setenv("KRB5CCNAME", cc)
	t.Setenv("KRB5_CONFIG", k.Config)
	recs := runImpacket(t, d, impacketArgs{User: "alice", Domain: krbtest.Realm, KDC: k.Host}, "status", "stop:20000", "start:30000", "status")
	wantOps(t, recs, "activate", "status", "stop", "start", "status")
	for _, r := range recs {
		wantHR(t, r, 0)
	}
	var n int
	for _, a := range auditLines(t, d) {
		if a["mechanism"] == "Kerberos" && a["user"] == `IISCTL.TEST\alice` {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d Kerberos audit records for impacket's stop and start, want 2\n%s", n, d.Logs())
	}
}
