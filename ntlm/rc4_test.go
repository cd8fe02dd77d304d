package ntlm

import (
	"bytes"
	"crypto/rc4"
	"math/rand/v2"
	"testing"
)

// rc4State produces crypto/rc4's key stream for any key and any split of
// the data into calls.
func TestRC4MatchesCryptoRC4(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		key := make([]byte, 1+r.IntN(32))
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		ref, err := rc4.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		var got rc4State
		got.reset(key)
		for range 5 {
			data := make([]byte, r.IntN(600))
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			want := bytes.Clone(data)
			ref.XORKeyStream(want, want)
			got.XORKeyStream(data, data)
			if !bytes.Equal(data, want) {
				t.Fatalf("case %d: key %x: key stream differs", n, key)
			}
		}
	}
}

func BenchmarkRC4(b *testing.B) {
	key := []byte("0123456789abcdef")
	data := make([]byte, 600)
	b.Run("ours", func(b *testing.B) {
		var c rc4State
		c.reset(key)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			c.XORKeyStream(data, data)
		}
	})
	b.Run("crypto-rc4", func(b *testing.B) {
		c, _ := rc4.NewCipher(key)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			c.XORKeyStream(data, data)
		}
	})
}
