package spnego

import (
	"bytes"
	"context"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
)

// fuzzSeeds adds the spec vector, the capture tokens when present and a
// few synthetic tokens.
func fuzzSeeds(f *testing.F) {
	f.Add(mustHex(f, specNegTokenInit2))
	f.Add(mustHex(f, "a1073005a0030a0102"))
	f.Add(mustHex(f, "601606062b0601050502a00c300aa3040402aabba4020400"))
	if path := capture.Lookup(realExchange); path != "" { // seeds only: absent captures are no failure here
		blobs, _ := capture.ReadHex(path)
		for _, b := range blobs {
			f.Add(b.Bytes)
		}
	}
}

// FuzzDecode checks that decoding never panics and that Marshal output
// decodes to a value that marshals identically.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		init, resp, err := Decode(b)
		if err != nil {
			return
		}
		var tok interface{ Marshal() ([]byte, error) } = resp
		if init != nil {
			tok = init
		}
		enc, err := tok.Marshal()
		if err != nil {
			t.Fatalf("decoded token does not marshal: %v", err)
		}
		i2, r2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-decode: %v (%x)", err, enc)
		}
		var tok2 interface{ Marshal() ([]byte, error) } = r2
		if i2 != nil {
			tok2 = i2
		}
		enc2, _ := tok2.Marshal()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("unstable encoding:\n%x\n%x", enc, enc2)
		}
	})
}

// FuzzServerStep feeds arbitrary first and second tokens to an acceptor.
func FuzzServerStep(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewServer(newFakeMech(false))
		out, _, err := s.Step(context.Background(), b)
		if err != nil && out == nil && !bytes.HasPrefix(b, ntlmsspMagic) {
			t.Fatal("error without reject token")
		}
		s.Step(context.Background(), b)
	})
}

// FuzzClientStep feeds arbitrary acceptor tokens to an initiator that has
// sent its NegTokenInit, then again as the final token.
func FuzzClientStep(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		c := NewClient(newFakeMech(true))
		if _, _, err := c.Step(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if _, done, err := c.Step(ctx, b); err != nil || done {
			return
		}
		c.Step(ctx, b)
	})
}
