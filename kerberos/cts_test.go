package kerberos

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"testing"

	"github.com/jcmturner/aescts/v2"
)

// TestCTSAgainstAescts: our cached-block AES-CTS equals the aescts
// package (gokrb5's) for every length from one block to several, and
// decrypts back.
func TestCTSAgainstAescts(t *testing.T) {
	for _, ks := range []int{16, 32} {
		key := make([]byte, ks)
		rand.Read(key)
		b, _ := aes.NewCipher(key)
		for n := 16; n <= 100; n++ {
			pt := make([]byte, n)
			rand.Read(pt)
			_, want, err := aescts.Encrypt(key, make([]byte, 16), pt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ctsEncrypt(b, pt)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("key %d len %d: encrypt differs\n got %x\nwant %x", ks, n, got, want)
			}
			back, err := ctsDecrypt(b, got)
			if err != nil || !bytes.Equal(back, pt) {
				t.Fatalf("key %d len %d: decrypt differs", ks, n)
			}
		}
	}
	if _, err := ctsDecrypt(nil, make([]byte, 15)); err == nil {
		t.Fatal("short input accepted")
	}
}
