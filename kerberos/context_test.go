package kerberos

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iisctl/iisctl/rpc"
)

// TestHandshakeAndTokens runs the DCE-style three legs for each etype,
// bare and framed, then MIC and wrap tokens both ways, with and without
// the header (sign-only) buffers.
func TestHandshakeAndTokens(t *testing.T) {
	for _, e := range etypes {
		for _, framed := range []bool{false, true} {
			name := e.name
			if framed {
				name += "/framed"
			}
			t.Run(name, func(t *testing.T) {
				cli, srv := handshake(t, e.id, framed)
				id := srv.Identity()
				if id.Principal != "alice" || id.Realm != testRealm || id.Service != testSPN || id.Etype != e.id {
					t.Fatalf("identity %+v", id)
				}
				if p := srv.Peer(); p.User != "alice" || p.Domain != testRealm || !p.Admin {
					t.Fatalf("peer %+v", p)
				}
				if srv.Framed() != framed {
					t.Fatalf("framed %v", srv.Framed())
				}
				for i := 0; i < 3; i++ {
					for _, dir := range []struct {
						name     string
						from, to interface {
							Seal(msg, data []byte) ([]byte, error)
							Unseal(msg, data, sig []byte) error
							Sign([]byte) ([]byte, error)
							Verify(msg, sig []byte) error
						}
					}{{"c2s", cli, srv}, {"s2c", srv, cli}} {
						// header(24) | body | trailer(8), body sealed.
						plain := append(append(bytes.Repeat([]byte{0xaa}, 24), stub(100+i*13)...), bytes.Repeat([]byte{0xbb}, 8)...)
						msg := bytes.Clone(plain)
						body := msg[24 : len(msg)-8]
						tok, err := dir.from.Seal(msg, body)
						if err != nil {
							t.Fatal(err)
						}
						if len(tok) != cli.SealSize() {
							t.Fatalf("%s wrap token %d bytes, want %d", dir.name, len(tok), cli.SealSize())
						}
						if bytes.Equal(body, plain[24:len(plain)-8]) {
							t.Fatalf("%s: body not encrypted", dir.name)
						}
						if err := dir.to.Unseal(msg, body, tok); err != nil {
							t.Fatalf("%s unseal %d: %v", dir.name, i, err)
						}
						if !bytes.Equal(msg, plain) {
							t.Fatalf("%s: unsealed body differs", dir.name)
						}
						mic, err := dir.from.Sign(plain)
						if err != nil {
							t.Fatal(err)
						}
						if len(mic) != cli.SignatureSize() {
							t.Fatalf("MIC %d bytes", len(mic))
						}
						if err := dir.to.Verify(plain, mic); err != nil {
							t.Fatalf("%s verify: %v", dir.name, err)
						}
						// Replaying the MIC fails on the sequence number.
						if err := dir.to.Verify(plain, mic); !errors.Is(err, ErrSequence) {
							t.Fatalf("%s replayed MIC: %v", dir.name, err)
						}
					}
				}
			})
		}
	}
}

func stub(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// TestTamperedTokens: any flipped bit in a wrap token, in the sealed body
// or in a signed header byte fails, and the receiver's state and data are
// unchanged so the genuine token still verifies.
func TestTamperedTokens(t *testing.T) {
	for _, e := range etypes {
		t.Run(e.name, func(t *testing.T) {
			cli, srv := handshake(t, e.id, false)
			plain := append(append(bytes.Repeat([]byte{0xaa}, 24), stub(64)...), bytes.Repeat([]byte{0xbb}, 8)...)
			msg := bytes.Clone(plain)
			body := msg[24 : len(msg)-8]
			tok, err := cli.Seal(msg, body)
			if err != nil {
				t.Fatal(err)
			}
			sealed := bytes.Clone(msg)
			for _, pos := range []int{0, 2, 9, 17, len(tok) - 1, -1, -30, -70} {
				m := bytes.Clone(sealed)
				tk := bytes.Clone(tok)
				switch {
				case pos >= 0:
					tk[pos%len(tk)] ^= 0x01
				case pos == -1:
					m[3] ^= 0x80 // signed header
				case pos == -30:
					m[30] ^= 0x01 // sealed body
				default:
					m[len(m)-2] ^= 0x01 // signed trailer
				}
				if err := srv.Unseal(m, m[24:len(m)-8], tk); err == nil {
					t.Fatalf("tamper at %d accepted", pos)
				}
				if pos != -30 && !bytes.Equal(m[24:len(m)-8], sealed[24:len(sealed)-8]) {
					t.Fatalf("tamper at %d: data not restored", pos)
				}
			}
			if err := srv.Unseal(msg, body, tok); err != nil || !bytes.Equal(msg, plain) {
				t.Fatalf("genuine token after tampering: %v", err)
			}
			// Replay of the same wrap token is refused.
			again := bytes.Clone(sealed)
			if err := srv.Unseal(again, again[24:len(again)-8], tok); !errors.Is(err, ErrSequence) {
				t.Fatalf("replayed wrap token: %v", err)
			}
			// A token sent by the acceptor is not accepted as the initiator's (reflection).
			msg2 := bytes.Clone(plain)
			tok2, _ := srv.Seal(msg2, msg2[24:len(msg2)-8])
			if err := srv.Unseal(msg2, msg2[24:len(msg2)-8], tok2); err == nil {
				t.Fatal("reflected token accepted")
			}
		})
	}
}

// TestAcceptorRefusals covers the RFC 4120 3.2.3 checks.
func TestAcceptorRefusals(t *testing.T) {
	kt := testKeytab(t, "service-password")
	wrongKT := testKeytab(t, "another-password")
	now := time.Now()
	cases := []struct {
		name   string
		kdc    *fakeKDC
		spn    string
		srvNow func() time.Time
		want   error
		replay bool
	}{
		{"wrong keytab key", &fakeKDC{Realm: testRealm, Keytab: wrongKT, Etype: etypes[0].id}, testSPN, nil, ErrModified, false},
		{"ticket for another SPN", &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id}, "host/other.example.test", nil, ErrWrongPrincipal, false},
		{"expired ticket", &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id, Now: func() time.Time { return now.Add(-11 * time.Hour) }}, testSPN,
			nil, ErrExpired, false},
		{"skew", &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id}, testSPN, func() time.Time { return time.Now().Add(6 * time.Minute) }, ErrSkew, false},
		{"replayed authenticator", &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id}, testSPN, nil, ErrReplay, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acc := NewAcceptor(AcceptorConfig{Keytab: kt, SPNs: []string{testSPN}, Now: c.srvNow})
			cli := NewClient(ClientConfig{Tickets: c.kdc, SPN: c.spn})
			req, _, err := cli.Step(tctx(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			srv, _ := NewServer(acc.Config)
			if c.replay {
				if _, _, err := srv.Step(tctx(t), req); err != nil {
					t.Fatal(err)
				}
				srv, _ = NewServer(acc.Config)
			}
			_, _, err = srv.Step(tctx(t), req)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if _, _, err := srv.Step(tctx(t), req); err == nil {
				t.Fatal("failed context accepted a further token")
			}
		})
	}
}

// TestThirdLegChecks: a third leg that does not echo our sequence number
// or is garbage fails.
func TestThirdLegChecks(t *testing.T) {
	kt := testKeytab(t, "service-password")
	acc := NewAcceptor(AcceptorConfig{Keytab: kt})
	cli := NewClient(ClientConfig{Tickets: &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id}, SPN: testSPN})
	srv, _ := NewServer(acc.Config)
	req, _, _ := cli.Step(tctx(t), nil)
	rep, _, err := srv.Step(tctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := marshalAPRep(encAPRepPart{CTime: time.Now(), SequenceNumber: int64(srv.mySeq + 1)}, cli.sessionKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Step(tctx(t), bad); !errors.Is(err, ErrSequence) {
		t.Fatalf("wrong echo: %v", err)
	}
	// The client refuses an AP-REP that does not echo its authenticator.
	srv2, _ := NewServer(acc.Config)
	cli2 := NewClient(ClientConfig{Tickets: &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id}, SPN: testSPN})
	req2, _, _ := cli2.Step(tctx(t), nil)
	if _, _, err := srv2.Step(tctx(t), req2); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli2.Step(tctx(t), rep); err == nil {
		t.Fatal("client accepted another context's AP-REP")
	}
}

type countingGate struct{ before, ok, failed int }

func (g *countingGate) Before(context.Context, string, string) error { g.before++; return nil }
func (g *countingGate) After(ok bool) {
	if ok {
		g.ok++
	} else {
		g.failed++
	}
}

// TestAcceptorLogonGate: the acceptor reports to the RPC server's logon
// gate: a good AP-REQ as a success, a forged one as a failure, a ticket
// for a principal we do not serve not at all.
func TestAcceptorLogonGate(t *testing.T) {
	kt := testKeytab(t, "service-password")
	acc := NewAcceptor(AcceptorConfig{Keytab: kt, SPNs: []string{testSPN}})
	g := &countingGate{}
	ctx := rpc.WithLogonGate(tctx(t), g)
	step := func(kdc *fakeKDC, spn string) error {
		cli := NewClient(ClientConfig{Tickets: kdc, SPN: spn})
		req, _, _ := cli.Step(ctx, nil)
		srv, _ := NewServer(acc.Config)
		_, _, err := srv.Step(ctx, req)
		return err
	}
	if err := step(&fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id}, testSPN); err != nil {
		t.Fatal(err)
	}
	if err := step(&fakeKDC{Realm: testRealm, Keytab: testKeytab(t, "forged"), Etype: etypes[0].id}, testSPN); !errors.Is(err, ErrModified) {
		t.Fatal(err)
	}
	if err := step(&fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypes[0].id}, "host/other.example.test"); !errors.Is(err, ErrWrongPrincipal) {
		t.Fatal(err)
	}
	if g.before != 3 || g.ok != 1 || g.failed != 1 {
		t.Fatalf("gate %+v, want 3 befores, 1 success, 1 failure", *g)
	}
}
