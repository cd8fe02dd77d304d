package ndr

import (
	"testing"
)

// FuzzReader decodes arbitrary bytes as the sample structure in both
// syntaxes and as a TS1 stream: it must never panic, and whatever decodes
// must re-encode and decode to the same value.
func FuzzReader(f *testing.F) {
	for _, h := range sampleGolden {
		f.Add(unhex(f, h))
	}
	b, _ := EncodeTS1(newSample())
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, syn := range []Syntax{NDR20, NDR64} {
			var s sample
			r := NewReader(data, syn)
			r.Unmarshal(&s)
			if r.Err() != nil {
				continue
			}
			w := NewWriter(syn)
			w.Marshal(&s)
			var s2 sample
			r2 := NewReader(w.Bytes(), syn)
			r2.Unmarshal(&s2)
			if r2.Err() != nil {
				t.Fatalf("%v: re-encoded value does not decode: %v", syn, r2.Err())
			}
		}
		var s sample
		_ = DecodeTS1(data, &s)
	})
}
