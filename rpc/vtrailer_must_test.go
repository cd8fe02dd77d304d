package rpc_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/iisctl/iisctl/rpc"
)

// The MUST table of the verification trailer, [MS-RPCE] 2.2.2.13: one row
// per MUST the server (or our encoder) has to hold, each with a check
// that fails when it does not. The calls run at connect level, where the
// trailer is the only protection of the header fields (2.2.2.13) and the
// bind carries no PFC_SUPPORT_HEADER_SIGN; a tap patches header2's fields
// to the request's real ones (or wrong ones) in flight.

type vtCase struct {
	cmds  []rpc.VTCommand
	h2    func(real rpc.VTHeader2) rpc.VTHeader2 // patches header2 in flight
	level rpc.AuthLevel                          // default connect
	frag  bool                                   // a multi-fragment request
}

type vtRow struct {
	sec, text string
	check     func(t *testing.T, srv *authSrv) error
}

// h2 is a header2 command whose fields the tap fills in.
func h2() rpc.VTCommand { return rpc.Header2Command(rpc.VTHeader2{}) }

func pctx(iface, transfer rpc.SyntaxID) rpc.VTCommand {
	return rpc.PContextCommand(rpc.VTPContext{Interface: iface, Transfer: transfer})
}

// vtCall sends stub plus the trailer of c and returns what the handler
// saw as the stub, or the call's error.
func vtCall(t *testing.T, srv *authSrv, stub []byte, c vtCase) ([]byte, error) {
	t.Helper()
	if c.level == 0 {
		c.level = rpc.AuthLevelConnect
	}
	cfg := &rpc.ClientConfig{}
	if c.frag {
		cfg.MaxFragment = 1024
	}
	conn, tap := dialTap(t, srv.addr, cfg)
	pc := authBind(t, conn, ntlmIface, providers[0].initiator("alice", alicePass), c.level)
	if c.h2 != nil {
		tap.mu.Lock()
		tap.tamper = func(n int, pdu []byte) { patchHeader2(pdu, c.h2) }
		tap.mu.Unlock()
	}
	body := stub
	if len(c.cmds) > 0 {
		body = (&rpc.VerificationTrailer{Commands: c.cmds}).AppendTo(bytes.Clone(stub))
	}
	out, err := conn.Call(tctx(t), pc, echoOpnum, nil, body) // the echo handler returns the stub it saw
	if err != nil {
		return nil, err
	}
	if srv.seen.last().VerificationTrailer == nil && len(c.cmds) > 0 {
		return nil, errors.New("the handler saw no verification trailer")
	}
	return out, nil
}

// patchHeader2 rewrites the header2 command of a request PDU sent at
// connect level (no verifier; the trailer ends the PDU).
func patchHeader2(pdu []byte, f func(rpc.VTHeader2) rpc.VTHeader2) {
	if len(pdu) < 24 || pdu[2] != 0 || pdu[3]&0x02 == 0 { // last fragment of a request
		return
	}
	i := bytes.LastIndex(pdu, []byte{0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71})
	if i < 0 {
		return
	}
	real := rpc.VTHeader2{PType: rpc.PType(pdu[2]), CallID: binary.LittleEndian.Uint32(pdu[12:]),
		ContextID: binary.LittleEndian.Uint16(pdu[20:]), Opnum: binary.LittleEndian.Uint16(pdu[22:])}
	copy(real.DRep[:], pdu[4:8])
	for j := i + 8; j+4 <= len(pdu); {
		cmd, n := binary.LittleEndian.Uint16(pdu[j:]), int(binary.LittleEndian.Uint16(pdu[j+2:]))
		if cmd&rpc.VTCommandMask == rpc.VTCommandHeader2 && n == 0x10 && j+4+n <= len(pdu) {
			h := f(real)
			v := pdu[j+4 : j+4+n]
			v[0] = byte(h.PType)
			copy(v[1:4], h.Reserved[:])
			copy(v[4:8], h.DRep[:])
			binary.LittleEndian.PutUint32(v[8:], h.CallID)
			binary.LittleEndian.PutUint16(v[12:], h.ContextID)
			binary.LittleEndian.PutUint16(v[14:], h.Opnum)
			return
		}
		j += 4 + n
	}
}

func accepted(t *testing.T, srv *authSrv, stub []byte, c vtCase) error {
	got, err := vtCall(t, srv, stub, c)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(got, stub) || len(got)-len(stub) > 3 {
		return fmt.Errorf("the handler saw %d bytes, want the %d-byte stub (the trailer stripped)", len(got), len(stub))
	}
	return nil
}

// refused: the request is treated as invalid, with status 5
// (2.2.2.13: "a status code of 5 SHOULD be used").
func refused(t *testing.T, srv *authSrv, stub []byte, c vtCase) error {
	_, err := vtCall(t, srv, stub, c)
	var fe *rpc.FaultError
	if !errors.As(err, &fe) || fe.Status != rpc.StatusAccessDenied {
		return fmt.Errorf("got %v, want fault 5", err)
	}
	return nil
}

func realH2(h rpc.VTHeader2) rpc.VTHeader2 { return h }

var ndr20 = rpc.SyntaxNDR20

var vtRows = []vtRow{
	{"2.2.2.13", "the trailer follows the stub and is not part of it: the server strips it (pcontext, header2, bitmask)",
		func(t *testing.T, s *authSrv) error {
			return accepted(t, s, stubOf(16, 1), vtCase{cmds: []rpc.VTCommand{rpc.BitmaskCommand(0), pctx(ntlmIface, ndr20), h2()}, h2: realH2})
		}},
	{"2.2.2.13", "the header MUST be 4-byte aligned from the PDU start: padding follows an odd stub",
		func(t *testing.T, s *authSrv) error {
			b := (&rpc.VerificationTrailer{Commands: []rpc.VTCommand{rpc.BitmaskCommand(0)}}).AppendTo([]byte{1, 2, 3, 4, 5})
			if !bytes.Equal(b[5:8], []byte{0, 0, 0}) || !bytes.HasPrefix(b[8:], []byte{0x8a, 0xe3}) {
				return fmt.Errorf("encoded % x", b)
			}
			return accepted(t, s, []byte{1, 2, 3, 4, 5}, vtCase{cmds: []rpc.VTCommand{pctx(ntlmIface, ndr20)}})
		}},
	{"2.2.2.13", "for a fragmented request only the last PDU MUST have the trailer: found after reassembly",
		func(t *testing.T, s *authSrv) error {
			return accepted(t, s, stubOf(5000, 2), vtCase{cmds: []rpc.VTCommand{pctx(ntlmIface, ndr20), h2()}, h2: realH2, frag: true})
		}},
	{"2.2.2.13", "SEC_VT_COMMAND_END MUST be on the last command (our encoder; a trailer without it is no trailer)",
		func(t *testing.T, s *authSrv) error {
			b := (&rpc.VerificationTrailer{Commands: []rpc.VTCommand{rpc.BitmaskCommand(1), pctx(ntlmIface, ndr20)}}).AppendTo(nil)
			if binary.LittleEndian.Uint16(b[8:])&rpc.VTFlagEnd != 0 || binary.LittleEndian.Uint16(b[16:])&rpc.VTFlagEnd == 0 {
				return fmt.Errorf("END flags wrong in % x", b[:20])
			}
			binary.LittleEndian.PutUint16(b[16:], binary.LittleEndian.Uint16(b[16:])&^rpc.VTFlagEnd)
			if _, err := rpc.ParseVerificationTrailer(b); err == nil {
				return errors.New("a trailer without END parsed")
			}
			return nil
		}},
	{"2.2.2.13", "the body MUST hold at most one instance of each command",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 3), vtCase{cmds: []rpc.VTCommand{pctx(ntlmIface, ndr20), pctx(ntlmIface, ndr20)}})
		}},
	{"2.2.2.13", "length MUST be a multiple of 4",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 4), vtCase{cmds: []rpc.VTCommand{{Command: 0x0010, Value: []byte{1, 2, 3, 4, 5, 6}}}})
		}},
	{"2.2.2.13", "a fixed-size command's length MUST equal its size",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 5), vtCase{cmds: []rpc.VTCommand{{Command: rpc.VTCommandBitmask1, Value: make([]byte, 8)}}})
		}},
	{"2.2.2.13", "an unknown command without SEC_VT_MUST_PROCESS_COMMAND MUST be ignored",
		func(t *testing.T, s *authSrv) error {
			return accepted(t, s, stubOf(8, 6), vtCase{cmds: []rpc.VTCommand{{Command: 0x0010, Value: make([]byte, 4)}, pctx(ntlmIface, ndr20)}})
		}},
	{"2.2.2.13", "an unknown command with SEC_VT_MUST_PROCESS_COMMAND: the request MUST be treated as invalid",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 7), vtCase{cmds: []rpc.VTCommand{{Command: 0x0010 | rpc.VTFlagMustProcess, Value: make([]byte, 4)}}})
		}},
	{"2.2.2.13.1", "the signature MUST be the eight octets: other bytes are stub data",
		func(t *testing.T, s *authSrv) error {
			b := (&rpc.VerificationTrailer{Commands: []rpc.VTCommand{{Command: 0x0010 | rpc.VTFlagMustProcess, Value: make([]byte, 4)}}}).AppendTo(stubOf(8, 8))
			b[8] ^= 0xff
			got, err := vtCall(t, s, b, vtCase{})
			if err != nil || !bytes.Equal(got, b) {
				return fmt.Errorf("got %v %d bytes, want the %d bytes untouched", err, len(got), len(b))
			}
			return nil
		}},
	{"2.2.2.13.2", "CLIENT_SUPPORT_HEADER_SIGNING set: PFC_SUPPORT_HEADER_SIGN MUST be on the bind (refused when it is not)",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 9), vtCase{cmds: []rpc.VTCommand{rpc.BitmaskCommand(rpc.VTClientSupportsHeaderSigning)}})
		}},
	{"2.2.2.13.2", "CLIENT_SUPPORT_HEADER_SIGNING with PFC_SUPPORT_HEADER_SIGN on the bind is accepted",
		func(t *testing.T, s *authSrv) error {
			return accepted(t, s, stubOf(8, 10), vtCase{cmds: []rpc.VTCommand{rpc.BitmaskCommand(rpc.VTClientSupportsHeaderSigning)}, level: rpc.AuthLevelIntegrity})
		}},
	{"2.2.2.13.2", "a server MUST ignore bits it does not understand",
		func(t *testing.T, s *authSrv) error {
			return accepted(t, s, stubOf(8, 11), vtCase{cmds: []rpc.VTCommand{rpc.BitmaskCommand(0xF0000000)}})
		}},
	{"2.2.2.13.3", "header2 length MUST be 0x10",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 12), vtCase{cmds: []rpc.VTCommand{{Command: rpc.VTCommandHeader2 | rpc.VTFlagMustProcess, Value: make([]byte, 0x14)}}})
		}},
	{"2.2.2.13.3", "PTYPE MUST be the request's",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 13), vtCase{cmds: []rpc.VTCommand{h2()}, h2: func(h rpc.VTHeader2) rpc.VTHeader2 { h.PType = rpc.PTypeResponse; return h }})
		}},
	{"2.2.2.13.3", "drep MUST be the request's",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 14), vtCase{cmds: []rpc.VTCommand{h2()}, h2: func(h rpc.VTHeader2) rpc.VTHeader2 { h.DRep[0] ^= 0x10; return h }})
		}},
	{"2.2.2.13.3", "call_id MUST be the request's",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 15), vtCase{cmds: []rpc.VTCommand{h2()}, h2: func(h rpc.VTHeader2) rpc.VTHeader2 { h.CallID++; return h }})
		}},
	{"2.2.2.13.3", "p_cont_id MUST be the request's",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 16), vtCase{cmds: []rpc.VTCommand{h2()}, h2: func(h rpc.VTHeader2) rpc.VTHeader2 { h.ContextID++; return h }})
		}},
	{"2.2.2.13.3", "opnum MUST be the request's",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 17), vtCase{cmds: []rpc.VTCommand{h2()}, h2: func(h rpc.VTHeader2) rpc.VTHeader2 { h.Opnum++; return h }})
		}},
	{"2.2.2.13.3", "Reserved1 and Reserved2 MUST be ignored on receipt",
		func(t *testing.T, s *authSrv) error {
			return accepted(t, s, stubOf(8, 18), vtCase{cmds: []rpc.VTCommand{h2()}, h2: func(h rpc.VTHeader2) rpc.VTHeader2 { h.Reserved = [3]byte{1, 2, 3}; return h }})
		}},
	{"2.2.2.13.4", "pcontext length MUST be 0x28",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 19), vtCase{cmds: []rpc.VTCommand{{Command: rpc.VTCommandPContext, Value: make([]byte, 0x2c)}}})
		}},
	{"2.2.2.13.4", "InterfaceId MUST match the presentation context's abstract syntax",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 20), vtCase{cmds: []rpc.VTCommand{pctx(ntlmIface2, ndr20)}})
		}},
	{"2.2.2.13.4", "TransferSyntax MUST match the negotiated transfer syntax",
		func(t *testing.T, s *authSrv) error {
			return refused(t, s, stubOf(8, 21), vtCase{cmds: []rpc.VTCommand{pctx(ntlmIface, rpc.SyntaxNDR64)}})
		}},
}

func TestMUSTVerificationTrailer(t *testing.T) {
	srv := startAuthServer(t, rpc.AuthLevelConnect, 0)
	for i, row := range vtRows {
		t.Run(fmt.Sprintf("%02d_%s", i, row.sec), func(t *testing.T) {
			if err := row.check(t, srv); err != nil {
				t.Errorf("[MS-RPCE] %s: %s: %v", row.sec, row.text, err)
			}
		})
	}
}
