package rpc_test

// Wireshark as the independent verifier of our Kerberos session security:
// given the service keytab (kerberos.decrypt, kerberos.file) tshark
// decrypts the ticket, learns the session and subkeys, and must decrypt
// what our client and server sealed, with no malformed packet or expert
// error anywhere.

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/krbtest"
	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/rpc"
)

func TestWiresharkKerberos(t *testing.T) {
	peertest.Tshark(t)
	env := startKDCEnv(t)
	_, portS, _ := net.SplitHostPort(env.addr)
	port, _ := strconv.Atoi(portS)
	// Two runs cover both providers (tshark is slow); RC4 is decrypted in
	// cmd/iissd's TestTsharkKerberosSealed.
	for _, tc := range []struct {
		p provider
		e string
	}{{krbProviders[0], krbtest.AES256}, {krbProviders[1], krbtest.AES128}} {
		p, e := tc.p, tc.e
		{
			t.Run(p.name+"/"+e, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				capt := peertest.StartCapture(t, ctx, port)
				c, _ := dialTap(t, env.addr, nil)
				pc := authBind(t, c, ntlmIface, env.initiator(t, p.typ, env.password(t, "alice", "alice-krb-pw"), kdcSPN(e)), rpc.AuthLevelPrivacy)
				stubs := [][]byte{
					append([]byte("WIRESHARK-SEES-THIS-PLAINTEXT..."), stubOf(368, 9)...),
					stubOf(333, 10),
					stubOf(64, 11),
				}
				for _, s := range stubs {
					out, err := c.Call(tctx(t), pc, echoOpnum, nil, s)
					if err != nil || !bytes.Equal(out, s) {
						t.Fatalf("echo: %v", err)
					}
				}
				c.Close()
				capt.Stop()
				kt := []string{"-o", "kerberos.decrypt:TRUE", "-o", "kerberos.file:" + env.keytab}
				if out := strings.TrimSpace(capt.Decode(t, append(kt, "-Y", "("+peertest.MalformedFilter+") && tcp")...)); out != "" {
					t.Fatalf("malformed with the keytab:\n%s", out)
				}
				rows := fieldRows(t, capt, kt, "dcerpc.pkt_type == 0 || dcerpc.pkt_type == 2",
					"dcerpc.pkt_type", "dcerpc.auth_type", "dcerpc.auth_level", "dcerpc.decrypted_stub_data", "dcerpc.encrypted_stub_data")
				if len(rows) != 2*len(stubs) {
					t.Fatalf("%d request/response packets, want %d: %q", len(rows), 2*len(stubs), rows)
				}
				for i, r := range rows {
					want := stubs[i/2]
					if r[1] != strconv.Itoa(int(p.typ)) || r[2] != "6" || r[4] == "" {
						t.Fatalf("row %d: %q", i, r)
					}
					got, err := hex.DecodeString(r[3])
					if err != nil || len(got) < len(want) || !bytes.Equal(got[:len(want)], want) {
						t.Fatalf("row %d (%s): Wireshark decrypted %.60s, want %x...", i, map[bool]string{true: "request", false: "response"}[i%2 == 0], r[3], want[:16])
					}
				}
				// The ticket decrypted with the keytab names alice.
				names := capt.Decode(t, append(kt, "-T", "fields", "-Y", "kerberos.CNameString", "-e", "kerberos.CNameString")...)
				if !strings.Contains(names, "alice") {
					t.Fatalf("ticket not decrypted with the keytab: %q", names)
				}
			})
		}
	}
}
