package winclient

import (
	"bytes"
	"context"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// TestWindowsNTLMShape: answering the captured server CHALLENGE, the
// client's NEGOTIATE carries Windows' flags and version, and its
// AUTHENTICATE the AV pairs Windows adds (MsvAvFlags 0x6, the captured
// MsvAvSingleHost, zero channel bindings, RPCSS/host).
func TestWindowsNTLMShape(t *testing.T) {
	rec := Load(t)
	var chal []byte
	for _, p := range capture.Open(t, CaptureFile) {
		if p.EndFrame == 12 {
			pdu, err := rpc.Unmarshal(p.Bytes)
			if err != nil || pdu.Auth == nil {
				t.Fatalf("frame 12: %v", err)
			}
			chal = pdu.Auth.Token
		}
	}
	cfg := &Config{Addr: "192.0.2.7:135", User: "Administrator", Domain: "PURP", Password: "x", Rec: rec}
	c := ntlm.NewClient(cfg.ntlmConfig(rec.RawFlags))
	neg, _, err := c.Step(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	flags, v, err := negotiateOf(neg)
	if err != nil || flags != rec.RawFlags|ntlm.NegotiateSeal || v != rec.Version || v.Build != 19041 {
		t.Fatalf("NEGOTIATE flags %#x version %+v (%v); want %#x and 10.0.19041", uint32(flags), v, err, uint32(rec.RawFlags|ntlm.NegotiateSeal))
	}
	auth, _, err := c.Step(context.Background(), chal)
	if err != nil {
		t.Fatal(err)
	}
	p, err := avPairsOf(auth)
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := p.Get(ntlm.AvSingleHost)
	want, _ := rec.AvPairs.Get(ntlm.AvSingleHost)
	cb, _ := p.Get(ntlm.AvChannelBindings)
	if p.Flags() != 0x6 || !bytes.Equal(sh, want) || !bytes.Equal(cb, make([]byte, 16)) || p.String(ntlm.AvTargetName) != "RPCSS/192.0.2.7" {
		t.Fatalf("AV pairs %v", p)
	}
}
