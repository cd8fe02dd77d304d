package ntlm_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ntlm"
)

// The sealed captures are real Windows Server 2019 sessions at packet
// privacy with a known password (../shared/captures/README.md #4, #5).
// Our session security must verify every MAC and decrypt every stub, in
// both directions, with sequence numbers carried across fragments.
func TestRealWindowsSealedSessions(t *testing.T) {
	cases := []struct {
		file       string
		password   string
		requests   int
		responses  int
		wantInStub []byte // something a decrypted stub must contain
		largest    int    // bytes of the largest reassembled response stub
	}{
		{"svcctl_win10-ws2019_ntlm-sealed_pw-known.pcapng", "Password123!", 4, 8,
			[]byte{0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71}, // the verification trailer of OpenSCManagerW
			33592}, // EnumServicesStatusW: 6 sealed fragments
		{"drsuapi_ws2019_ntlm-sealed_pw-known_scapy-client.pcapng", "Password123!", 2, 2, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			pdus := capture.Open(t, c.file)
			stubs := verifySealedStreams(t, pdus, ntlm.NTHash(c.password), c.requests, c.responses, c.wantInStub)
			if c.largest != 0 && stubs.largest() != c.largest {
				t.Fatalf("largest reassembled response stub is %d bytes, want %d", stubs.largest(), c.largest)
			}
		})
	}
}

const (
	ptRequest  = 0
	ptResponse = 2
	ptBindAck  = 12
	ptAuth3    = 16
)

// token returns the auth token and level of a PDU, if it has one.
func token(p []byte) (tok []byte, level uint8) {
	authLen := int(binary.LittleEndian.Uint16(p[10:]))
	if authLen == 0 || len(p) < 16+8+authLen {
		return nil, 0
	}
	trailer := p[len(p)-authLen-8:]
	return p[len(p)-authLen:], trailer[1]
}

// callStubs holds the decrypted stub of each response call, reassembled.
type callStubs map[uint32][]byte

func (c callStubs) largest() int {
	n := 0
	for _, s := range c {
		n = max(n, len(s))
	}
	return n
}

func verifySealedStreams(t *testing.T, pdus []capture.PDU, hash [16]byte, wantReq, wantResp int, wantInStub []byte) callStubs {
	responses := callStubs{}
	var challenge, authenticate []byte
	var server, client *ntlm.Session
	var reqs, resps int
	var stubs [][]byte
	for _, p := range pdus {
		b := p.Bytes
		tok, level := token(b)
		switch p.PType() {
		case ptBindAck:
			if tok != nil {
				challenge = tok
			}
		case ptAuth3:
			authenticate = tok
			var err error
			if server, err = ntlm.SessionFromHandshake(challenge, authenticate, hash, false); err != nil {
				t.Fatalf("server session: %v", err)
			}
			if client, err = ntlm.SessionFromHandshake(challenge, authenticate, hash, true); err != nil {
				t.Fatalf("client session: %v", err)
			}
		case ptRequest, ptResponse:
			if level != 6 {
				continue
			}
			s := client // responses travel server to client: the client unseals them
			if p.PType() == ptRequest {
				s, reqs = server, reqs+1
			} else {
				resps++
			}
			data := unseal(t, s, p)
			stubs = append(stubs, data)
			if p.PType() == ptResponse {
				pad := int(p.Bytes[len(p.Bytes)-len(tok)-8+2])
				responses[p.CallID()] = append(responses[p.CallID()], data[:len(data)-pad]...)
			}
		}
	}
	if reqs != wantReq || resps != wantResp {
		t.Fatalf("unsealed %d requests and %d responses, want %d and %d", reqs, resps, wantReq, wantResp)
	}
	if wantInStub != nil && !bytes.Contains(bytes.Join(stubs, nil), wantInStub) {
		t.Fatalf("no decrypted stub contains % x", wantInStub)
	}
	return responses
}

// unseal decrypts one sealed request or response in place and checks its
// MAC: the signed message is the whole PDU but the token, the sealed data
// the body and its padding ([MS-RPCE] 2.2.2.11).
func unseal(t *testing.T, s *ntlm.Session, p capture.PDU) []byte {
	t.Helper()
	b := append([]byte(nil), p.Bytes...)
	authLen := int(binary.LittleEndian.Uint16(b[10:]))
	bodyStart := 24
	if p.PType() == ptRequest && b[3]&0x80 != 0 {
		bodyStart += 16
	}
	msg := b[:len(b)-authLen]
	data := b[bodyStart : len(b)-authLen-8]
	sig := b[len(b)-authLen:]
	if err := s.Unseal(msg, data, sig); err != nil {
		t.Fatalf("frame %d (call %d): %v", p.EndFrame, p.CallID(), err)
	}
	return data
}
