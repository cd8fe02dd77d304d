package spnego

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/krbtest"
	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/ntlm"
)

const (
	krbRealm = "EXAMPLE.TEST"
	krbSPN   = "host/srv.example.test"
)

func krbSetup(t testing.TB) (*kerberos.Acceptor, *krbtest.FakeKDC) {
	kt := krbtest.Keytab(t, krbRealm, "svc-pass", krbSPN, "host/elsewhere.example.test")
	acc := kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt, SPNs: []string{krbSPN},
		IsAdmin: func(i kerberos.Identity) bool { return i.Principal == "alice" }})
	return acc, &krbtest.FakeKDC{Keytab: kt, Realm: krbRealm, Etype: krbtest.Etypes[0].ID}
}

func krbServer(t testing.TB, acc *kerberos.Acceptor) *Server {
	m, err := ntlm.NewServer(ntlm.ServerConfig{NetBIOSComputer: "SRV", NetBIOSDomain: "EXAMPLE", Creds: ntlm.CredentialFunc(func(string, string) (ntlm.Account, bool) {
		return ntlm.Account{NTHash: ntlm.NTHash("pw"), Admin: true}, true
	})})
	if err != nil {
		t.Fatal(err)
	}
	return NewServerWithKerberos(m, func() (Mech, error) { return kerberos.NewServer(acc.Config) })
}

func kctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestKerberosSPNEGO: our initiator against our acceptor: four legs,
// supportedMech echoes the MS OID we listed first, mechListMIC both ways,
// then per-message tokens.
func TestKerberosSPNEGO(t *testing.T) {
	for _, e := range krbtest.Etypes {
		t.Run(e.Name, func(t *testing.T) {
			acc, kdc := krbSetup(t)
			kdc.Etype = e.ID
			cli := NewKerberosClient(kerberos.NewClient(kerberos.ClientConfig{Tickets: kdc, SPN: krbSPN, Framed: true}))
			srv := krbServer(t, acc)
			ctx := kctx(t)
			init, _, err := cli.Step(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			r1, done, err := srv.Step(ctx, init)
			if err != nil || done {
				t.Fatalf("leg 1: %v %v", err, done)
			}
			resp, err := DecodeResp(r1)
			if err != nil || !resp.SupportedMech.Equal(OIDMSKerberos) || resp.NegState != AcceptIncomplete || resp.ResponseToken == nil {
				t.Fatalf("leg 1 answer %+v %v", resp, err)
			}
			c2, done, err := cli.Step(ctx, r1)
			if err != nil || done {
				t.Fatalf("leg 2: %v", err)
			}
			r2, done, err := srv.Step(ctx, c2)
			if err != nil || !done {
				t.Fatalf("leg 3: %v", err)
			}
			if resp, _ := DecodeResp(r2); resp == nil || resp.NegState != AcceptCompleted || resp.MechListMIC == nil {
				t.Fatalf("final answer %+v", resp)
			}
			if _, done, err := cli.Step(ctx, r2); err != nil || !done {
				t.Fatalf("final: %v", err)
			}
			if srv.MechName() != "Kerberos" || cli.MechName() != "Kerberos" || srv.Peer().User != "alice" || !srv.Peer().Admin {
				t.Fatalf("mech %s peer %+v", srv.MechName(), srv.Peer())
			}
			if id := srv.Mech().(*kerberos.Server).Identity(); id.Realm != krbRealm {
				t.Fatalf("identity %+v", id)
			}
			msg := []byte("0123456789abcdef-sealed-stub")
			plain := bytes.Clone(msg)
			tok, err := cli.Seal(msg, msg)
			if err != nil || len(tok) != cli.SealSize() || !cli.HeaderSignOptional() {
				t.Fatalf("seal: %v %d", err, len(tok))
			}
			if err := srv.Unseal(msg, msg, tok); err != nil || !bytes.Equal(msg, plain) {
				t.Fatalf("unseal after mechListMIC: %v", err)
			}
		})
	}
}

// TestKerberosSPNEGOPeerShapes: impacket's shape (only the MS OID, a
// framed AP-REQ, third leg without mechListMIC) and Samba's (standard OID,
// bare AP-REP inside SPNEGO) are both accepted, and supportedMech echoes
// the client's first OID.
func TestKerberosSPNEGOPeerShapes(t *testing.T) {
	for _, shape := range []struct {
		name   string
		oid    asn1.ObjectIdentifier
		framed bool
	}{{"impacket", OIDMSKerberos, true}, {"samba", OIDKerberos, false}} {
		t.Run(shape.name, func(t *testing.T) {
			acc, kdc := krbSetup(t)
			kc := kerberos.NewClient(kerberos.ClientConfig{Tickets: kdc, SPN: krbSPN, Framed: shape.framed})
			srv := krbServer(t, acc)
			ctx := kctx(t)
			apreq, _, err := kc.Step(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			init, _ := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{shape.oid}, MechToken: apreq}).Marshal()
			r1, _, err := srv.Step(ctx, init)
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := DecodeResp(r1)
			if !resp.SupportedMech.Equal(shape.oid) {
				t.Fatalf("supportedMech %v, want %v", resp.SupportedMech, shape.oid)
			}
			if resp.ResponseToken[0] != 0x6f {
				t.Fatalf("AP-REP not bare: %x", resp.ResponseToken[:4])
			}
			third, _, err := kc.Step(ctx, resp.ResponseToken)
			if err != nil {
				t.Fatal(err)
			}
			c2, _ := (&NegTokenResp{NegState: NoNegState, ResponseToken: third}).Marshal()
			r2, done, err := srv.Step(ctx, c2)
			if err != nil || !done {
				t.Fatalf("third leg: %v", err)
			}
			if resp, _ := DecodeResp(r2); resp.NegState != AcceptCompleted || resp.MechListMIC != nil {
				t.Fatalf("final %+v", resp)
			}
		})
	}
}

// TestKerberosSPNEGOFallback: a Kerberos token for a principal we do not
// serve falls back to NTLM when NTLM is offered (supportedMech NTLM, no
// token); without NTLM on offer, or for a bad ticket, the answer is reject.
func TestKerberosSPNEGOFallback(t *testing.T) {
	acc, kdc := krbSetup(t)
	ctx := kctx(t)
	other := kerberos.NewClient(kerberos.ClientConfig{Tickets: kdc, SPN: "host/elsewhere.example.test", Framed: true})
	apreq, _, err := other.Step(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	init, _ := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDMSKerberos, OIDNTLMSSP}, MechToken: apreq}).Marshal()
	r, _, err := krbServer(t, acc).Step(ctx, init)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := DecodeResp(r)
	if !resp.SupportedMech.Equal(OIDNTLMSSP) || resp.ResponseToken != nil {
		t.Fatalf("fallback answer %+v", resp)
	}
	only, _ := (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDMSKerberos}, MechToken: apreq}).Marshal()
	r, _, err = krbServer(t, acc).Step(ctx, only)
	if !errors.Is(err, kerberos.ErrWrongPrincipal) {
		t.Fatalf("no NTLM offered: %v", err)
	}
	if resp, _ := DecodeResp(r); resp == nil || resp.NegState != Reject {
		t.Fatalf("want reject, got %x", r)
	}
	// A replayed AP-REQ is refused outright even with NTLM on offer.
	good := kerberos.NewClient(kerberos.ClientConfig{Tickets: kdc, SPN: krbSPN, Framed: true})
	apreq, _, _ = good.Step(ctx, nil)
	init, _ = (&NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDMSKerberos, OIDNTLMSSP}, MechToken: apreq}).Marshal()
	if _, _, err := krbServer(t, acc).Step(ctx, init); err != nil {
		t.Fatal(err)
	}
	if _, _, err := krbServer(t, acc).Step(ctx, init); !errors.Is(err, kerberos.ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
}
