package rpc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
)

// fakeSec is a toy security provider exercising the RPC plumbing: a
// 3-leg (like NTLM) or 4-leg (like SPNEGO) handshake, HMAC-SHA256/16
// signatures with per-direction sequence numbers, and XOR "sealing".
type fakeSec struct {
	server   bool
	legs     int    // 3 or 4
	password string // client sends it, server checks against want
	want     string
	step     int
	done     bool
	mu       sync.Mutex
	sendSeq  uint32
	recvSeq  uint32
	peer     Peer
	admin    bool // the server marks the peer an administrator
}

type fakeProvider struct {
	typ      AuthType
	legs     int
	password string
	admin    bool // server contexts mark the peer an administrator
	// counters for tests
	mu       sync.Mutex
	contexts int
}

func (p *fakeProvider) AuthType() AuthType { return p.typ }

func (p *fakeProvider) NewServerContext() (SecurityContext, error) {
	p.mu.Lock()
	p.contexts++
	p.mu.Unlock()
	return &fakeSec{server: true, legs: p.legs, want: p.password, admin: p.admin}, nil
}

func (p *fakeProvider) NewClientContext() (SecurityContext, error) {
	return &fakeSec{legs: p.legs, password: p.password}, nil
}

var errFakeAuth = errors.New("fake: bad password")

func (s *fakeSec) Step(_ context.Context, in []byte) ([]byte, bool, error) {
	s.step++
	if s.server {
		return s.serverStep(string(in))
	}
	return s.clientStep(string(in))
}

func (s *fakeSec) clientStep(in string) ([]byte, bool, error) {
	switch {
	case s.step == 1:
		return []byte("NEG"), false, nil
	case s.step == 2 && in == "CHAL":
		s.done = s.legs == 3
		return []byte("AUTH:" + s.password), s.done, nil
	case s.step == 3 && s.legs == 4 && in == "FIN":
		s.done = true
		return nil, true, nil
	}
	return nil, false, errors.New("fake: client out of sequence")
}

func (s *fakeSec) serverStep(in string) ([]byte, bool, error) {
	switch {
	case s.step == 1 && in == "NEG":
		return []byte("CHAL"), false, nil
	case s.step == 2 && strings.HasPrefix(in, "AUTH:"):
		if in[5:] != s.want {
			return nil, false, errFakeAuth
		}
		s.done, s.peer = true, Peer{User: "alice", Domain: "TEST", Admin: s.admin}
		if s.legs == 4 {
			return []byte("FIN"), true, nil
		}
		return nil, true, nil
	}
	return nil, false, errors.New("fake: server out of sequence")
}

func (s *fakeSec) SignatureSize() int { return 16 }

func (s *fakeSec) key(send bool) []byte {
	if send == s.server {
		return []byte("s2c")
	}
	return []byte("c2s")
}

func (s *fakeSec) mac(key []byte, seq uint32, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	binary.Write(h, binary.LittleEndian, seq)
	h.Write(msg)
	return h.Sum(nil)[:16]
}

func (s *fakeSec) nextSeq(send bool) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if send {
		s.sendSeq++
		return s.sendSeq - 1
	}
	s.recvSeq++
	return s.recvSeq - 1
}

func (s *fakeSec) Sign(msg []byte) ([]byte, error) {
	if !s.done {
		return nil, errors.New("fake: not established")
	}
	return s.mac(s.key(true), s.nextSeq(true), msg), nil
}

func (s *fakeSec) Verify(msg, sig []byte) error {
	if !hmac.Equal(s.mac(s.key(false), s.nextSeq(false), msg), sig) {
		return errors.New("fake: bad MAC")
	}
	return nil
}

func xorData(key []byte, data []byte) {
	for i := range data {
		data[i] ^= key[0] ^ byte(i)
	}
}

func (s *fakeSec) Seal(msg, data []byte) ([]byte, error) {
	sig, err := s.Sign(msg)
	if err == nil {
		xorData(s.key(true), data)
	}
	return sig, err
}

func (s *fakeSec) Unseal(msg, data, sig []byte) error {
	xorData(s.key(false), data)
	return s.Verify(msg, sig)
}

func (s *fakeSec) Peer() Peer { return s.peer }
