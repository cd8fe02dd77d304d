package dcom

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/iisctl/iisctl/internal/capture"
	"github.com/iisctl/iisctl/ndr"
)

// Golden captures (see ../../shared/captures/README.md).
const (
	capWin10    = "dcom_win10-ws2016_ntlm-integrity_serveralive2-getclassobject-remqi-remrelease.pcap" // #1, MIT
	capRCI      = "dcom_wmi_remotecreateinstance_krb-connect-level.pcapng"                             // #2, BSD-3-Clause
	capExcel    = "dcom_excel-registerxll_ntlm_serveralive2-getclassobject-idispatch.pcap"             // #6, MIT
	capSharpWMI = "dcom_wmi-sharpwmi_simpleping-remotecreateinstance-wbem_krb.pcap"                    // #7, MIT
	capShell    = "dcom_shellwindows_getclassobject-resolveoxid2-idispatch_krb.pcap"                   // #8, MIT
	hexObjRef   = "dcom_objref_wmi-execquery-response-stub.hex"                                        // #11, GPL: read only
)

// stub returns the stub data of a request or response PDU: after the
// 24-byte header (+16 for an object UUID), before the sec_trailer and its
// padding when the PDU is authenticated.
func stub(t testing.TB, p capture.PDU) []byte {
	t.Helper()
	b := p.Bytes
	start := 24
	if b[2] == 0 && b[3]&0x80 != 0 {
		start += 16
	}
	end := len(b)
	if al := int(binary.LittleEndian.Uint16(b[10:])); al > 0 {
		tr := end - al - 8
		if tr < start {
			t.Fatalf("frame %d: auth_length %d too long", p.Frame, al)
		}
		end = tr - int(b[tr+2])
	}
	return stripVT(b[start:end])
}

// vtSignature starts the verification trailer ([MS-RPCE] 2.2.2.13) that
// Windows appends to request stubs at level 5 and above; it belongs to the
// RPC layer, so the goldens drop it.
var vtSignature = []byte{0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71}

func stripVT(b []byte) []byte {
	if i := bytes.LastIndex(b, vtSignature); i >= 0 && i%4 == 0 {
		return b[:i]
	}
	return b
}

// pduAt returns the PDU that completes at frame.
func pduAt(t testing.TB, pdus []capture.PDU, frame int) capture.PDU {
	t.Helper()
	for _, p := range pdus {
		if p.EndFrame == frame {
			return p
		}
	}
	t.Fatalf("no PDU completes at frame %d", frame)
	return capture.PDU{}
}

// roundTrip decodes b into v (NDR20), requires the whole stub (up to 7
// trailing alignment bytes) to be consumed, re-encodes and compares.
func roundTrip(t *testing.T, b []byte, v interface {
	ndr.Marshaler
	ndr.Unmarshaler
}) {
	t.Helper()
	r := ndr.NewReader(b, ndr.NDR20)
	r.Unmarshal(v)
	if err := r.Err(); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if r.Remaining() != 0 {
		t.Errorf("%d bytes left after decoding", r.Remaining())
	}
	w := ndr.NewWriter(ndr.NDR20)
	w.Marshal(v)
	if err := w.Err(); err != nil {
		t.Fatalf("encode: %v", err)
	}
	if !bytes.Equal(w.Bytes(), b) {
		t.Fatalf("re-encoding differs\n got %x\nwant %x", w.Bytes(), b)
	}
}
