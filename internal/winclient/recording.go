package winclient

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// CaptureFile is the Windows capture the client is built from.
const CaptureFile = "dcom_win10-ws2016_ntlm-integrity_serveralive2-getclassobject-remqi-remrelease.pcap"

// Frames of CaptureFile (tshark numbering).
const (
	frameRawNegotiate    = 11 // bind to ISystemActivator: NTLMSSP NEGOTIATE (auth type 10)
	frameRawAuthenticate = 13 // AUTH3: NTLMSSP AUTHENTICATE with Windows' AV pairs
	frameGetClassObject  = 14 // RemoteGetClassObject request
	frameSPNEGOInit      = 57 // bind to IRemUnknown2: SPNEGO NegTokenInit
	frameSPNEGONegotiate = 59 // alter_context: NTLM NEGOTIATE inside SPNEGO
	frameRemQI           = 63 // RemQueryInterface(IClassFactory2) request (.NET asks; E_NOINTERFACE)
	frameCreateInstance  = 69 // IClassFactory::CreateInstance request
)

// CLSID_MMC20Application is the class the captured client asked for.
var CLSID_MMC20Application = ndr.MustGUID("49b2791a-b1ae-4c90-9b8e-e860ba07f889")

// Recording is what the client replays from CaptureFile.
type Recording struct {
	GetClassObject []byte // RemoteGetClassObject stub, without its verification trailer
	RemQI          []byte // RemQueryInterface stub
	CreateInstance []byte // IClassFactory::CreateInstance stub (ORPCTHIS, riid)
	SPNEGOInit     []byte // NegTokenInit: MS-KRB5, KRB5, NEGOEX, NTLMSSP and a Kerberos token
	// AvPairs is the AV pair list of the captured NTLMv2 response
	// (MsvAvFlags 0x6, MsvAvSingleHost, zero channel bindings, the
	// RPCSS/host target name, after the server's pairs).
	AvPairs     ntlm.AvPairs
	RawFlags    ntlm.NegotiateFlags
	SPNEGOFlags ntlm.NegotiateFlags
	Version     ntlm.Version
	// Trailers are the verification trailers the captured requests carried.
	Trailers map[int]*rpc.VerificationTrailer
}

// Load reads the recording. It skips the test when the capture is absent
// (fails it under IISCTL_REQUIRE_PEERS=1) and fails it when the capture
// does not hold what the client needs.
func Load(t testing.TB) *Recording {
	t.Helper()
	pdus := capture.Open(t, CaptureFile)
	at := func(frame int) *rpc.PDU {
		t.Helper()
		for _, p := range pdus {
			if p.EndFrame == frame {
				pdu, err := rpc.Unmarshal(p.Bytes)
				if err != nil {
					t.Fatalf("%s frame %d: %v", CaptureFile, frame, err)
				}
				return pdu
			}
		}
		t.Fatalf("%s: no PDU at frame %d", CaptureFile, frame)
		return nil
	}
	rec := &Recording{Trailers: map[int]*rpc.VerificationTrailer{}}
	stub := func(frame int) []byte {
		t.Helper()
		req, ok := at(frame).Body.(*rpc.Request)
		if !ok {
			t.Fatalf("frame %d is not a request", frame)
		}
		b := req.Stub
		if vt, off, ok := rpc.FindVerificationTrailer(b); ok {
			rec.Trailers[frame], b = vt, b[:off]
		}
		return bytes.Clone(b)
	}
	token := func(frame int) []byte {
		t.Helper()
		p := at(frame)
		if p.Auth == nil {
			t.Fatalf("frame %d carries no auth token", frame)
		}
		return bytes.Clone(p.Auth.Token)
	}
	rec.GetClassObject = stub(frameGetClassObject)
	rec.RemQI = stub(frameRemQI)
	rec.CreateInstance = stub(frameCreateInstance)
	rec.SPNEGOInit = token(frameSPNEGOInit)
	var err error
	if rec.RawFlags, rec.Version, err = negotiateOf(token(frameRawNegotiate)); err != nil {
		t.Fatalf("frame %d: %v", frameRawNegotiate, err)
	}
	if rec.AvPairs, err = avPairsOf(token(frameRawAuthenticate)); err != nil {
		t.Fatalf("frame %d: %v", frameRawAuthenticate, err)
	}
	resp, err := spnego.DecodeResp(token(frameSPNEGONegotiate))
	if err != nil {
		t.Fatalf("frame %d: %v", frameSPNEGONegotiate, err)
	}
	if rec.SPNEGOFlags, _, err = negotiateOf(resp.ResponseToken); err != nil {
		t.Fatalf("frame %d: %v", frameSPNEGONegotiate, err)
	}
	if err := rec.check(); err != nil {
		t.Fatalf("%s: %v", CaptureFile, err)
	}
	return rec
}

// negotiateOf reads the flags and version of a NEGOTIATE_MESSAGE
// ([MS-NLMP] 2.2.1.1).
func negotiateOf(b []byte) (ntlm.NegotiateFlags, ntlm.Version, error) {
	if len(b) < 40 || !bytes.HasPrefix(b, []byte("NTLMSSP\x00")) || binary.LittleEndian.Uint32(b[8:]) != 1 {
		return 0, ntlm.Version{}, fmt.Errorf("not an NTLM NEGOTIATE_MESSAGE")
	}
	v := ntlm.Version{Major: b[32], Minor: b[33], Build: binary.LittleEndian.Uint16(b[34:]), Revision: b[39]}
	return ntlm.NegotiateFlags(binary.LittleEndian.Uint32(b[12:])), v, nil
}

// avPairsOf reads the AV pairs of an AUTHENTICATE_MESSAGE's NTLMv2
// response: after NTProofStr (16 bytes) and the blob's fixed 28 bytes
// ([MS-NLMP] 2.2.2.7).
func avPairsOf(b []byte) (ntlm.AvPairs, error) {
	m, err := ntlm.ParseAuthenticate(b)
	if err != nil {
		return nil, err
	}
	if len(m.NtChallengeResponse) < 16+28 {
		return nil, fmt.Errorf("NTLMv2 response of %d bytes", len(m.NtChallengeResponse))
	}
	p, err := ntlm.ParseAvPairs(m.NtChallengeResponse[16+28:])
	if err != nil {
		return nil, err
	}
	if _, ok := p.Get(ntlm.AvSingleHost); !ok || p.Flags() != 0x6 {
		return nil, fmt.Errorf("AV pairs without MsvAvSingleHost or flags 0x6: %v", p)
	}
	return p, nil
}

// check verifies the recording is what the client assumes.
func (rec *Recording) check() error {
	var q dcom.RemoteGetClassObjectRequest
	if err := decode(rec.GetClassObject, &q); err != nil {
		return fmt.Errorf("RemoteGetClassObject: %w", err)
	}
	in, err := dcom.ParseActivationIn(q.ActProperties)
	if err != nil {
		return err
	}
	if in.Instantiation.ClassID != CLSID_MMC20Application || bytes.Count(rec.GetClassObject, CLSID_MMC20Application[:]) != 1 {
		return fmt.Errorf("RemoteGetClassObject does not name MMC20.Application exactly once")
	}
	if len(in.Instantiation.IIDs) != 1 || in.Instantiation.IIDs[0] != dcom.IID_IClassFactory {
		return fmt.Errorf("RemoteGetClassObject asks for %v, not IClassFactory", in.Instantiation.IIDs)
	}
	var qi dcom.RemQueryInterfaceRequest
	if err := decodeORPC(rec.RemQI, &qi); err != nil {
		return fmt.Errorf("RemQueryInterface: %w", err)
	}
	if len(qi.IIDs) != 1 || qi.IIDs[0] != dcom.IID_IClassFactory2 || bytes.Count(rec.RemQI, qi.IPID[:]) != 1 {
		return fmt.Errorf("RemQueryInterface asks for %v", qi.IIDs)
	}
	if len(rec.CreateInstance) != createInstanceLen || !bytes.Equal(rec.CreateInstance[createInstanceLen-16:], dcom.IID_IUnknown[:]) {
		return fmt.Errorf("CreateInstance stub (%d bytes) is not ORPCTHIS + riid IUnknown", len(rec.CreateInstance))
	}
	return nil
}

// createInstanceLen is ORPCTHIS (32 bytes in NDR20) and the riid.
const createInstanceLen = 32 + 16

func decode(b []byte, u ndr.Unmarshaler) error {
	r := ndr.NewReader(b, ndr.NDR20)
	r.Unmarshal(u)
	return r.Err()
}

func decodeORPC(b []byte, u ndr.Unmarshaler) error {
	r := ndr.NewReader(b, ndr.NDR20)
	var this dcom.ORPCThis
	r.Unmarshal(&this)
	r.Unmarshal(u)
	return r.Err()
}
