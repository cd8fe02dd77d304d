package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/krbtest"
	"github.com/iisctl/iisctl/internal/peertest"
)

// TestTsharkKerberosSealed: Wireshark, given iissd's keytab
// (kerberos.decrypt, kerberos.file), decrypts the tickets of our Go
// client's Kerberos sessions with iissd and from them every sealed PDU of
// the DCOM exchange (activation, Status, Stop, Start): well formed with
// and without the keytab, unreadable without it. Raw Kerberos (16) with
// AES256 and Kerberos in SPNEGO with RC4.
func TestTsharkKerberosSealed(t *testing.T) {
	peertest.Tshark(t)
	k := krbtest.StartKDC(t)
	k.AddUser("alice", "alice-krb-pw")
	keytab := filepath.Join(t.TempDir(), "iissd.keytab")
	for _, e := range []string{krbtest.AES256, krbtest.RC4} {
		k.AddService("host/"+krbName(e), e)
		k.ExportKeytab(keytab, "host/"+krbName(e))
	}
	d := startDemo(t, demoOptions{Edit: func(c *Config) {
		c.Kerberos = KerberosConfig{Keytab: keytab}
		f, err := os.OpenFile(c.Security.UsersFile, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("alice@IISCTL.TEST admin\n")
		f.Close()
	}})
	t.Setenv("KRB5_CONFIG", k.Config)
	key := []string{"-o", "kerberos.decrypt:TRUE", "-o", "kerberos.file:" + keytab}
	for _, tc := range []struct {
		name string
		auth iiss.Auth
		e    string
	}{{"kerberos-aes256", iiss.AuthKerberos, krbtest.AES256}, {"negotiate-rc4", iiss.AuthNegotiate, krbtest.RC4}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := captureDemo(t, ctx, d)
			cred := iiss.Credentials{User: "alice", Domain: krbtest.Realm, Password: "alice-krb-pw"}
			if tc.auth == iiss.AuthNegotiate {
				// Negotiate picks Kerberos with a ticket cache: kinit's.
				cred = iiss.Credentials{CCache: "FILE:" + k.Kinit("alice", "alice-krb-pw", "")}
			}
			conn, err := iiss.Dial(ctx, d.Act.String(), iiss.ClientConfig{Credentials: cred, Auth: tc.auth, SPN: "host/" + krbName(tc.e)})
			if err != nil {
				t.Fatalf("Dial: %v\n%s", err, d.Logs())
			}
			if st, err := conn.Status(ctx); err != nil || len(st) != 3 {
				t.Fatalf("Status: %v %v", st, err)
			}
			if err := conn.Stop(ctx, 20*time.Second, true); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			d.waitSite(t, false)
			if err := conn.Start(ctx, 20*time.Second); err != nil {
				t.Fatalf("Start: %v", err)
			}
			d.waitSite(t, true)
			if err := conn.Close(); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("Close: %v", err)
			}
			assertSealedAndReadable(t, c, sealedChecks{ops: []int{7, 8, 10}, clsid: true, key: key})
		})
	}
}
