package ndr

import "testing"

func BenchmarkMarshalSample(b *testing.B) {
	s := newSample()
	for _, syn := range []Syntax{NDR20, NDR64} {
		b.Run(syn.String(), func(b *testing.B) {
			w := NewWriter(syn)
			b.ReportAllocs()
			for b.Loop() {
				w.Reset(syn)
				w.Marshal(s)
			}
			b.SetBytes(int64(w.Len()))
		})
	}
}

func BenchmarkUnmarshalSample(b *testing.B) {
	for _, syn := range []Syntax{NDR20, NDR64} {
		b.Run(syn.String(), func(b *testing.B) {
			w := NewWriter(syn)
			w.Marshal(newSample())
			data := w.Bytes()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var s sample
				r := NewReader(data, syn)
				r.Unmarshal(&s)
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
		})
	}
}
