package rpc_test

// impacket as the independent, authenticated client of our server
// ([MS-RPCE] 2.2.2.11, 3.3.1.5.2; impacket pads the sec_trailer to 4
// bytes, as C706 12.6.3 does, not 16, and runs alter_ctx legs under a
// new auth_context_id). The script is
// testdata/impacket_ntlm.py, written against impacket's public API.

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// Exit codes of testdata/impacket_ntlm.py.
const (
	pyExitOK       = 0
	pyExitMismatch = 2
	pyExitDenied   = 3
)

// impacketAuthCtxBase is impacket's auth_context_id for its first
// presentation context (ctx 0 + 79231); alter_ctx uses the next one.
const impacketAuthCtxBase = 79231

type impacketRun struct {
	user, password string
	nthash         bool // authenticate with the NT hash instead of the password
	level          rpc.AuthLevel
	authType       string // "ntlm" or "spnego"
	mode           string // "echo" or "alter"
}

func runImpacket(t *testing.T, addr string, r impacketRun) (stdout string, code int) {
	t.Helper()
	peertest.Python(t)
	script, err := os.ReadFile("testdata/impacket_ntlm.py")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	hash := "-"
	if r.nthash {
		h := ntlm.NTHash(r.password)
		hash = hex.EncodeToString(h[:])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, stderr, err := peertest.RunPython(t, ctx, string(script), port, ntlmIface.UUID.String(), ntlmIface2.UUID.String(),
		r.user, r.password, hash, levelNames[r.level], r.authType, r.mode)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &ee) && ctx.Err() == nil:
		if ee.ExitCode() != pyExitDenied {
			t.Logf("impacket exit %d\nstdout:\n%s\nstderr:\n%s", ee.ExitCode(), out, stderr)
		}
		return out, ee.ExitCode()
	}
	t.Fatalf("impacket: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	return "", -1
}

func TestImpacketNTLM(t *testing.T) {
	peertest.Python(t)
	srv := startAuthServer(t, rpc.AuthLevelConnect, 0)
	for _, lvl := range []rpc.AuthLevel{rpc.AuthLevelConnect, rpc.AuthLevelIntegrity, rpc.AuthLevelPrivacy} {
		for _, byHash := range []bool{false, true} {
			for _, mode := range []string{"echo", "alter"} {
				name := levelNames[lvl] + "/" + map[bool]string{false: "password", true: "nthash"}[byHash] + "/" + mode
				t.Run(name, func(t *testing.T) {
					before := len(srv.seen.all())
					out, code := runImpacket(t, srv.addr, impacketRun{user: "alice", password: alicePass, nthash: byHash,
						level: lvl, authType: "ntlm", mode: mode})
					if code != pyExitOK {
						t.Fatalf("exit %d:\n%s", code, out)
					}
					wantEchoes := 6
					if mode == "alter" {
						wantEchoes += 4
					}
					if n := strings.Count(out, "\necho "); n != wantEchoes {
						t.Fatalf("%d echoes, want %d:\n%s", n, wantEchoes, out)
					}
					calls := srv.seen.all()[before:]
					if len(calls) != wantEchoes {
						t.Fatalf("handler ran %d times, want %d", len(calls), wantEchoes)
					}
					ctxIDs := map[uint32]int{}
					for _, c := range calls {
						if c.Peer.User != "alice" || c.Peer.Domain != ntlmDomain || !c.Peer.Admin ||
							c.AuthLevel != lvl || c.AuthType != rpc.AuthTypeNTLM || c.Security == nil {
							t.Fatalf("handler saw peer %+v level %d type %d", c.Peer, c.AuthLevel, c.AuthType)
						}
						ctxIDs[c.AuthContextID]++
					}
					if mode == "echo" && (len(ctxIDs) != 1 || ctxIDs[impacketAuthCtxBase] != 6) {
						t.Fatalf("auth context ids %v", ctxIDs)
					}
					// At connect level impacket sends no verifier on requests,
					// so calls run under the connection's connect-level context:
					// the first one.
					if mode == "alter" && lvl != rpc.AuthLevelConnect &&
						(ctxIDs[impacketAuthCtxBase] != 7 || ctxIDs[impacketAuthCtxBase+1] != 3) {
						t.Fatalf("auth context ids %v", ctxIDs)
					}
				})
			}
		}
	}
	for _, bad := range []struct{ name, user, pass string }{
		{"wrong-password", "alice", "wrong-password"},
		{"unknown-user", "mallory", alicePass},
	} {
		for _, byHash := range []bool{false, true} {
			t.Run(bad.name+map[bool]string{false: "", true: "/nthash"}[byHash], func(t *testing.T) {
				before := len(srv.seen.all())
				out, code := runImpacket(t, srv.addr, impacketRun{user: bad.user, password: bad.pass, nthash: byHash,
					level: rpc.AuthLevelPrivacy, authType: "ntlm", mode: "echo"})
				if code != pyExitDenied || !strings.Contains(out, "access_denied") {
					t.Fatalf("exit %d, want %d (access denied):\n%s", code, pyExitDenied, out)
				}
				if len(srv.seen.all()) != before {
					t.Fatal("handler ran for refused credentials")
				}
			})
		}
	}
	// The server still serves after the refusals.
	if out, code := runImpacket(t, srv.addr, impacketRun{user: "bob", password: bobPass, level: rpc.AuthLevelPrivacy,
		authType: "ntlm", mode: "echo"}); code != pyExitOK {
		t.Fatalf("after refusals: exit %d\n%s", code, out)
	}
	if c := srv.seen.last(); c.Peer.User != "bob" || c.Peer.Admin {
		t.Fatalf("bob seen as %+v", c.Peer)
	}
}

// TestImpacketPrivacyRequired: impacket at integrity against a server
// requiring privacy is refused with fault 5.
func TestImpacketPrivacyRequired(t *testing.T) {
	peertest.Python(t)
	srv := startAuthServer(t, rpc.AuthLevelPrivacy, 0)
	out, code := runImpacket(t, srv.addr, impacketRun{user: "alice", password: alicePass, level: rpc.AuthLevelIntegrity,
		authType: "ntlm", mode: "echo"})
	if code != pyExitDenied {
		t.Fatalf("exit %d, want %d:\n%s", code, pyExitDenied, out)
	}
	if out, code := runImpacket(t, srv.addr, impacketRun{user: "alice", password: alicePass, level: rpc.AuthLevelPrivacy,
		authType: "ntlm", mode: "echo"}); code != pyExitOK {
		t.Fatalf("privacy: exit %d\n%s", code, out)
	}
}
