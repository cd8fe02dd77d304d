package spnego

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"github.com/iisctl/iisctl/rpc"
)

// fakeDir models one NTLM direction: a sequence number and how far the
// RC4 handle has advanced since the last reset.
type fakeDir struct {
	name string
	seq  uint32
	rc4  int
}

// mac is a keyed digest of direction, seq, RC4 position and msg.
func (d *fakeDir) mac(msg []byte) []byte {
	h := sha256.New()
	h.Write([]byte(d.name))
	_ = binary.Write(h, binary.LittleEndian, [2]uint32{d.seq, uint32(d.rc4)})
	h.Write(msg)
	return h.Sum(nil)[:16]
}

// fakeMech is a deterministic stand-in for an NTLM context:
// NEGOTIATE/CHALLENGE/AUTHENTICATE are "NTLMSSP\0" + type byte.
type fakeMech struct {
	client  bool
	step    int
	out, in fakeDir
	resets  int
	badAuth bool
}

func newFakeMech(client bool) *fakeMech {
	c2s, s2c := fakeDir{name: "c2s"}, fakeDir{name: "s2c"}
	if client {
		return &fakeMech{client: true, out: c2s, in: s2c}
	}
	return &fakeMech{out: s2c, in: c2s}
}

func ntlmMsg(typ byte) []byte { return append([]byte("NTLMSSP\x00"), typ) }

func (m *fakeMech) Step(_ context.Context, in []byte) ([]byte, bool, error) {
	m.step++
	switch {
	case m.client && m.step == 1 && in == nil:
		return ntlmMsg(1), false, nil
	case m.client && m.step == 2 && bytes.Equal(in, ntlmMsg(2)):
		return ntlmMsg(3), true, nil
	case !m.client && m.step == 1 && bytes.Equal(in, ntlmMsg(1)):
		return ntlmMsg(2), false, nil
	case !m.client && m.step == 2 && bytes.Equal(in, ntlmMsg(3)) && !m.badAuth:
		return nil, true, nil
	}
	return nil, false, errors.New("fake: unexpected token")
}

func (m *fakeMech) SignatureSize() int { return 16 }

func (m *fakeMech) Sign(msg []byte) ([]byte, error) {
	sig := m.out.mac(msg)
	m.out.seq++
	m.out.rc4++
	return sig, nil
}

func (m *fakeMech) Verify(msg, sig []byte) error {
	if !bytes.Equal(m.in.mac(msg), sig) {
		return errors.New("fake: bad signature")
	}
	m.in.seq++
	m.in.rc4++
	return nil
}

func (m *fakeMech) Seal(msg, data []byte) ([]byte, error) {
	sig, err := m.Sign(msg)
	for i := range data {
		data[i] ^= 0x5a
	}
	return sig, err
}

func (m *fakeMech) Unseal(msg, data, sig []byte) error {
	for i := range data {
		data[i] ^= 0x5a
	}
	return m.Verify(msg, sig)
}

func (m *fakeMech) Peer() rpc.Peer { return rpc.Peer{User: "u", Domain: "d"} }

func (m *fakeMech) GetMIC(msg []byte) ([]byte, error) { return m.Sign(msg) }

func (m *fakeMech) VerifyMIC(msg, mic []byte) error { return m.Verify(msg, mic) }

func (m *fakeMech) ResetCrypto() error {
	m.out.rc4, m.in.rc4 = 0, 0
	m.resets++
	return nil
}

var _ Mech = (*fakeMech)(nil)
var _ rpc.SecurityContext = (*Client)(nil)
var _ rpc.SecurityContext = (*Server)(nil)
