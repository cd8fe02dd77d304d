package rpc_test

// Wireshark as the independent verifier of our NTLM session security:
// tshark, given the password, must decrypt what our client and server
// sealed, and must parse every verifier ([MS-RPCE] 2.2.2.11; [MS-NLMP]
// 3.4.3-3.4.4, 3.4.6).

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/rpc"
)

func TestWiresharkNTLM(t *testing.T) {
	peertest.Tshark(t)
	cases := []struct {
		p   provider
		lvl rpc.AuthLevel
	}{
		{providers[0], rpc.AuthLevelPrivacy},
		{providers[0], rpc.AuthLevelIntegrity},
		{providers[1], rpc.AuthLevelPrivacy},
		{providers[1], rpc.AuthLevelIntegrity},
	}
	for _, tc := range cases {
		t.Run(tc.p.name+"/"+levelNames[tc.lvl], func(t *testing.T) {
			srv := startAuthServer(t, rpc.AuthLevelIntegrity, 0)
			_, portS, _ := net.SplitHostPort(srv.addr)
			port, _ := strconv.Atoi(portS)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			capt := peertest.StartCapture(t, ctx, port)

			c, _ := dialTap(t, srv.addr, nil)
			pc := authBind(t, c, ntlmIface, tc.p.initiator("alice", alicePass), tc.lvl)
			stubs := [][]byte{
				append([]byte("WIRESHARK-SEES-THIS-PLAINTEXT..."), stubOf(368, 9)...), // 400 bytes, no auth pad
				stubOf(333, 10), // 3 bytes of auth pad
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
			capt.AssertWellFormed(t)

			pw := []string{"-o", "ntlmssp.nt_password:" + alicePass}
			// The handshake as Wireshark parses it.
			hs := fieldRows(t, capt, pw, "ntlmssp.messagetype",
				"ntlmssp.messagetype", "ntlmssp.auth.username", "ntlmssp.auth.domain", "ntlmssp.ntlmv2_response.ntproofstr", "dcerpc.auth_type", "dcerpc.auth_level")
			var types []string
			for _, r := range hs {
				types = append(types, r[0])
				if r[4] != strconv.Itoa(int(tc.p.typ)) || r[5] != strconv.Itoa(int(tc.lvl)) {
					t.Errorf("handshake auth type/level %q/%q", r[4], r[5])
				}
				if r[0] == "0x00000003" && (r[1] != "alice" || r[2] != ntlmDomain || r[3] == "") {
					t.Errorf("AUTHENTICATE parsed as user %q domain %q ntproofstr %q", r[1], r[2], r[3])
				}
			}
			if strings.Join(types, ",") != "0x00000001,0x00000002,0x00000003" {
				t.Fatalf("NTLMSSP messages %v", types)
			}

			rows := fieldRows(t, capt, pw, "dcerpc.pkt_type == 0 || dcerpc.pkt_type == 2",
				"dcerpc.pkt_type", "dcerpc.auth_level", "dcerpc.auth_pad_len", "dcerpc.stub_data", "dcerpc.decrypted_stub_data",
				"ntlmssp.verf.vers", "ntlmssp.verf.body", "dcerpc.encrypted_stub_data")
			if len(rows) != 2*len(stubs) {
				t.Fatalf("%d request/response packets, want %d: %q", len(rows), 2*len(stubs), rows)
			}
			spnegoLag := 0
			defer func() {
				if spnegoLag > 0 {
					t.Logf("Wireshark limitation: %d SPNEGO-sealed PDUs after the first in each direction decrypt only "+
						"with Wireshark's keystream 8 bytes per earlier PDU behind ours (it does not run RC4 over the sealed "+
						"checksum on the SPNEGO path, as it does for raw NTLM); the first PDUs decrypt exactly", spnegoLag)
				}
			}()
			firstSeq := 0
			if tc.p.typ == rpc.AuthTypeSPNEGO {
				firstSeq = 1 // sequence 0 went to the mechListMIC
			}
			for i, r := range rows {
				want := stubs[i/2]
				pt, lvl, padLen, stub, dec, vers, body, enc := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
				if pt != map[bool]string{true: "0", false: "2"}[i%2 == 0] || lvl != strconv.Itoa(int(tc.lvl)) {
					t.Fatalf("row %d: type %s level %s", i, pt, lvl)
				}
				// With extended session security Wireshark shows the
				// verifier as version 1 and a 12-byte body: the 8-byte
				// checksum, then the sequence number.
				if vers != "1" || len(body) != 24 {
					t.Fatalf("row %d: verifier not parsed: version %q body %q", i, vers, body)
				}
				if seq, wantSeq := body[16:], hexU32(uint32(firstSeq+i/2)); seq != wantSeq {
					t.Fatalf("row %d: sequence %q, want %q", i, seq, wantSeq)
				}
				pad, _ := strconv.Atoi(padLen)
				if want := (16 - len(want)%16) % 16; pad != want {
					t.Fatalf("row %d: auth pad %d, want %d", i, pad, want)
				}
				switch tc.lvl {
				case rpc.AuthLevelPrivacy:
					if enc == "" || strings.Contains(stub+enc, hex.EncodeToString(want[:32])) {
						t.Fatalf("row %d: stub not sealed: %.40s", i, stub+enc)
					}
					got, err := hex.DecodeString(dec)
					if err == nil && len(got) >= len(want) && bytes.Equal(got[:len(want)], want) {
						break
					}
					// Wireshark 4.0 decrypts only the first message per
					// direction after SPNEGO: it does not advance its RC4
					// handle over the sealed checksum (8 bytes per message)
					// on this path, as it does for raw NTLM. Prove that is
					// the only difference: its keystream must be ours
					// shifted by 8 bytes per earlier message.
					lag := 8 * (i / 2)
					if tc.p.typ == rpc.AuthTypeSPNEGO && i >= 2 && wiresharkLags(t, got, enc, want, pad, lag) {
						spnegoLag++
						break
					}
					t.Fatalf("row %d: Wireshark decrypted %.40s..., want %x...", i, dec, want[:20])
				default:
					if dec != "" {
						t.Fatalf("row %d: decrypted stub at integrity: %q", i, dec)
					}
					got, _ := hex.DecodeString(stub)
					if !bytes.HasPrefix(got, want) {
						t.Fatalf("row %d: stub %q, want %x", i, stub, want)
					}
				}
			}
		})
	}
}

// wiresharkLags reports whether Wireshark's keystream (decrypted xor
// encrypted) equals ours (plaintext+zero pad xor encrypted) delayed by lag
// bytes.
func wiresharkLags(t *testing.T, dec []byte, encHex string, plain []byte, pad, lag int) bool {
	t.Helper()
	enc, err := hex.DecodeString(encHex)
	// Wireshark's decrypted stub may leave out the auth pad.
	n := len(dec)
	if err != nil || n < len(plain) || n > len(enc) || len(enc) != len(plain)+pad || n <= lag+16 {
		return false
	}
	full := append(bytes.Clone(plain), make([]byte, pad)...)
	ours := make([]byte, n)
	theirs := make([]byte, n)
	for i := range n {
		ours[i] = full[i] ^ enc[i]
		theirs[i] = dec[i] ^ enc[i]
	}
	return bytes.Equal(theirs[lag:], ours[:len(ours)-lag])
}

// hexU32 renders a little-endian u32 as tshark prints FT_BYTES.
func hexU32(v uint32) string {
	return hex.EncodeToString([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

func fieldRows(t *testing.T, c *peertest.Capture, extra []string, filter string, fields ...string) [][]string {
	t.Helper()
	args := append(append([]string(nil), extra...), "-T", "fields", "-Y", filter)
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var rows [][]string
	for line := range strings.Lines(c.Decode(t, args...)) {
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}
