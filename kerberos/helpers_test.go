package kerberos

import (
	"context"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/iisctl/iisctl/internal/krbtest"
)

const (
	testRealm = "EXAMPLE.TEST"
	testSPN   = "host/srv.example.test"
)

var etypes = []struct {
	name string
	id   int32
}{
	{"aes256", etypeID.AES256_CTS_HMAC_SHA1_96},
	{"aes128", etypeID.AES128_CTS_HMAC_SHA1_96},
	{"rc4", etypeID.RC4_HMAC},
}

// testKeytab has keys for testSPN and host/other.example.test in every etype.
func testKeytab(t testing.TB, password string) *keytab.Keytab {
	return krbtest.Keytab(t, testRealm, password, testSPN, "host/other.example.test")
}

type fakeKDC = krbtest.FakeKDC

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// handshake runs a full DCE-style exchange and returns both ends.
func handshake(t testing.TB, etype int32, framed bool) (*Client, *Server) {
	t.Helper()
	kt := testKeytab(t, "service-password")
	acc := NewAcceptor(AcceptorConfig{Keytab: kt, SPNs: []string{testSPN},
		IsAdmin: func(i Identity) bool { return i.Principal == "alice" }})
	srv, err := NewServer(acc.Config)
	if err != nil {
		t.Fatal(err)
	}
	cli := NewClient(ClientConfig{Tickets: &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etype}, SPN: testSPN, Framed: framed})
	mustHandshake(t, cli, srv)
	return cli, srv
}

func mustHandshake(t testing.TB, cli *Client, srv *Server) {
	t.Helper()
	ctx := tctx(t)
	req, done, err := cli.Step(ctx, nil)
	if err != nil || done {
		t.Fatalf("AP-REQ: %v done=%v", err, done)
	}
	rep, done, err := srv.Step(ctx, req)
	if err != nil || done {
		t.Fatalf("accept AP-REQ: %v done=%v", err, done)
	}
	third, done, err := cli.Step(ctx, rep)
	if err != nil || !done || third == nil {
		t.Fatalf("AP-REP: %v done=%v", err, done)
	}
	out, done, err := srv.Step(ctx, third)
	if err != nil || !done || out != nil {
		t.Fatalf("third leg: %v done=%v out=%x", err, done, out)
	}
}
