package rpc

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/internal/peertest"
)

// goldenPDUs returns every DCE/RPC PDU in the Windows captures: the
// repository's (testdata/captures) and, when present, the shared ones.
func goldenPDUs(t testing.TB) map[string][]capture.PDU {
	files := capture.Files()
	if len(files) == 0 {
		peertest.Skip(t, "golden captures not found (testdata/captures, shared/captures)")
	}
	out := map[string][]capture.PDU{}
	for n, path := range files {
		pdus, err := capture.ReadPDUs(path)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out[n] = pdus
	}
	return out
}

// TestGoldenCaptures: every PDU Windows sent decodes, and re-encodes to
// the same bytes (stubs and tokens are opaque to the codec, so this holds
// for sealed PDUs too; big-endian PDUs would re-encode little-endian).
func TestGoldenCaptures(t *testing.T) {
	total := 0
	types := map[PType]int{}
	for name, pdus := range goldenPDUs(t) {
		for _, cp := range pdus {
			p, err := Unmarshal(cp.Bytes)
			if err != nil {
				t.Errorf("%s frame %d: %v\n%s", name, cp.Frame, err, hex.Dump(cp.Bytes))
				continue
			}
			total++
			types[p.Type]++
			if !p.LittleEndian() {
				continue
			}
			b, err := p.Marshal()
			if err != nil || !bytes.Equal(b, cp.Bytes) {
				t.Errorf("%s frame %d %v: re-encode differs (%v)\n%s\n%s", name, cp.Frame, p.Type, err, hex.Dump(cp.Bytes), hex.Dump(b))
			}
			checkGoldenSemantics(t, name, cp, p)
		}
	}
	if total == 0 {
		t.Fatal("no PDUs in the captures")
	}
	t.Logf("%d PDUs: %v", total, types)
}

// checkGoldenSemantics checks invariants Windows traffic must satisfy.
func checkGoldenSemantics(t *testing.T, name string, cp capture.PDU, p *PDU) {
	if p.Auth != nil && hasStub(p) && p.Auth.Level >= AuthLevelPkt {
		if n := len(stubOf(p)) + len(p.Auth.Pad); p.HasFlag(FlagLastFrag) && n%16 != 0 && cp.FromClient {
			t.Logf("%s frame %d: client stub+pad %d not 16-aligned", name, cp.Frame, n)
		}
	}
	if r, ok := p.Body.(*Request); ok && cp.FromClient && p.HasFlag(FlagLastFrag) && p.HasFlag(FlagFirstFrag) &&
		(p.Auth == nil || p.Auth.Level < AuthLevelPrivacy) {
		if vt, _, ok := FindVerificationTrailer(r.Stub); ok {
			if _, ok := vt.PContext(); !ok && len(vt.Commands) > 1 {
				t.Errorf("%s frame %d: trailer without pcontext: %+v", name, cp.Frame, vt)
			}
		}
	}
}

// TestGoldenTrailers: verification trailers Windows clients sent in
// plaintext requests are found, and their pcontext and header2 match the
// presentation context negotiated on that stream, as the server checks.
func TestGoldenTrailers(t *testing.T) {
	found := 0
	for name, pdus := range goldenPDUs(t) {
		offered := map[int]map[uint16]ContextElement{}
		accepted := map[int]map[uint16]SyntaxID{}
		var lastBind map[int][]ContextElement = map[int][]ContextElement{}
		for _, cp := range pdus {
			p, err := Unmarshal(cp.Bytes)
			if err != nil {
				continue
			}
			if offered[cp.Stream] == nil {
				offered[cp.Stream], accepted[cp.Stream] = map[uint16]ContextElement{}, map[uint16]SyntaxID{}
			}
			switch b := p.Body.(type) {
			case *Bind:
				lastBind[cp.Stream] = b.Contexts
				for _, e := range b.Contexts {
					offered[cp.Stream][e.ContextID] = e
				}
			case *BindAck:
				for i, r := range b.Results {
					if r.Result == ResultAcceptance && i < len(lastBind[cp.Stream]) {
						accepted[cp.Stream][lastBind[cp.Stream][i].ContextID] = r.Transfer
					}
				}
			case *Request:
				if !p.HasFlag(FlagFirstFrag) || !p.HasFlag(FlagLastFrag) || (p.Auth != nil && p.Auth.Level >= AuthLevelPrivacy) {
					continue
				}
				vt, _, ok := FindVerificationTrailer(b.Stub)
				if !ok {
					continue
				}
				found++
				if pc, ok := vt.PContext(); ok {
					want := VTPContext{Interface: offered[cp.Stream][b.ContextID].Abstract, Transfer: accepted[cp.Stream][b.ContextID]}
					if pc != want {
						t.Errorf("%s frame %d: pcontext %+v, want %+v", name, cp.Frame, pc, want)
					}
				}
				if h, ok := vt.Header2(); ok && (h.CallID != p.CallID || h.Opnum != b.Opnum || h.ContextID != b.ContextID || h.PType != PTypeRequest) {
					t.Errorf("%s frame %d: header2 %+v does not match", name, cp.Frame, h)
				}
			}
		}
	}
	if found == 0 {
		t.Fatal("no verification trailers found in Windows requests")
	}
	t.Logf("%d verification trailers checked", found)
}
