package kerberos

import (
	"bytes"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// FuzzAcceptAPReq feeds arbitrary first tokens to an acceptor: it must
// fail cleanly (never panic) and never accept. Seeds are real AP-REQs,
// bare and framed, and truncations.
func FuzzAcceptAPReq(f *testing.F) {
	kt := testKeytab(f, "service-password")
	acc := NewAcceptor(AcceptorConfig{Keytab: kt})
	for _, framed := range []bool{false, true} {
		cli := NewClient(ClientConfig{Tickets: &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypeID.AES256_CTS_HMAC_SHA1_96}, SPN: testSPN, Framed: framed})
		req, _, err := cli.Step(tctx(f), nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(req)
		f.Add(req[:len(req)/2])
	}
	f.Add([]byte{0x60, 0x80})
	f.Add([]byte{0x6e, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		acc.Config.Replay = NewReplayCache(16) // seeds are valid once; replays would mask coverage
		srv, _ := NewServer(acc.Config)
		_, done, err := srv.Step(tctx(t), in)
		if err == nil && done {
			t.Fatalf("accepted %x", in)
		}
	})
}

// FuzzClientAPRep feeds arbitrary second tokens to an initiator.
func FuzzClientAPRep(f *testing.F) {
	kt := testKeytab(f, "service-password")
	acc := NewAcceptor(AcceptorConfig{Keytab: kt})
	cli := NewClient(ClientConfig{Tickets: &fakeKDC{Realm: testRealm, Keytab: kt, Etype: etypeID.AES128_CTS_HMAC_SHA1_96}, SPN: testSPN})
	req, _, _ := cli.Step(tctx(f), nil)
	srv, _ := NewServer(acc.Config)
	rep, _, err := srv.Step(tctx(f), req)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rep)
	f.Add(Frame(tokAPRep, rep))
	f.Add(Frame(tokKRBError, []byte{0x7e, 0x03, 0x30, 0x01, 0x00}))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := NewClient(cli.cfg)
		c.state, c.sessionKey, c.auth = cliAPRep, cli.sessionKey, cli.auth
		_, _, _ = c.Step(tctx(t), in)
	})
}

// FuzzUnwrap feeds arbitrary wrap and MIC tokens and data to established
// contexts of each etype; a forged token must never verify.
func FuzzUnwrap(f *testing.F) {
	type pair struct{ cli, srv *Session }
	var pairs []pair
	for _, e := range etypes {
		c, _ := handshake(f, e.id, false)
		msg := stub(48)
		tok, _ := c.Seal(msg, msg)
		f.Add(uint8(len(pairs)), true, tok, msg)
		m2 := stub(40)
		mic, _ := c.Sign(m2)
		f.Add(uint8(len(pairs)), false, mic, m2)
		// Fresh pair so that the seeds are at the expected sequence.
		c, s := handshake(f, e.id, false)
		pairs = append(pairs, pair{&c.Session, &s.Session})
	}
	f.Fuzz(func(t *testing.T, which uint8, seal bool, tok, data []byte) {
		p := pairs[int(which)%len(pairs)]
		before := bytes.Clone(data)
		var err error
		if seal {
			err = p.srv.Unseal(data, data, tok)
		} else {
			err = p.srv.Verify(data, tok)
		}
		if err == nil {
			t.Fatalf("forged token verified")
		}
		if !bytes.Equal(data, before) {
			t.Fatal("data not restored after a failed unseal")
		}
	})
}
