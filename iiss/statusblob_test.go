package iiss_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
)

// exampleServices is the situation [MS-IISS] 4.1 describes, made
// concrete: two Internet services, each with a name and display name.
var exampleServices = []iiss.ServiceStatus{
	{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", Type: svc.TypeShareProcess,
		State: svc.Running, ControlsAccepted: 5},
	{Name: "IISADMIN", DisplayName: "IIS Admin Service", Type: svc.TypeShareProcess,
		State: svc.Stopped, Win32ExitCode: 1066, ServiceSpecificExitCode: 3},
}

func wstr(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s + "\x00")) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// exampleBlob is built by hand: 2 entries (72 bytes), then W3SVC at byte
// 72 (WCHAR 36), its display name at 84 (42), IISADMIN at 152 (76) and
// its display name at 170 (85); 206 bytes in all.
func exampleBlob(t *testing.T, byteOffsets bool) []byte {
	entries := `24000000 2a000000 20000000 04000000 05000000 00000000 00000000 00000000 00000000
	            4c000000 55000000 20000000 01000000 00000000 2a040000 03000000 00000000 00000000`
	if byteOffsets {
		entries = `48000000 54000000 20000000 04000000 05000000 00000000 00000000 00000000 00000000
		           98000000 aa000000 20000000 01000000 00000000 2a040000 03000000 00000000 00000000`
	}
	b := unhex(t, entries)
	for _, s := range []string{"W3SVC", "World Wide Web Publishing Service", "IISADMIN", "IIS Admin Service"} {
		b = append(b, wstr(s)...)
	}
	if len(b) != 206 {
		t.Fatalf("hand-built blob is %d bytes", len(b))
	}
	return b
}

func TestStatusBlobGolden(t *testing.T) {
	for _, unit := range []iiss.OffsetUnit{iiss.OffsetWCHAR, iiss.OffsetBytes} {
		want := exampleBlob(t, unit == iiss.OffsetBytes)
		if got := iiss.EncodeStatusBlobUnit(exampleServices, unit); !bytes.Equal(got, want) {
			t.Errorf("%v encoding\n got %x\nwant %x", unit, got, want)
		}
		list, u, err := iiss.DecodeStatusBlob(want, 2)
		if err != nil || u != unit || len(list) != 2 || list[0] != exampleServices[0] || list[1] != exampleServices[1] {
			t.Errorf("%v decoding: %+v %v %v", unit, list, u, err)
		}
	}
	if iiss.RequiredSize(exampleServices) != 206 || !bytes.Equal(iiss.EncodeStatusBlob(exampleServices), exampleBlob(t, false)) {
		t.Error("EncodeStatusBlob/RequiredSize do not use WCHAR offsets and 206 bytes")
	}
}

func TestStatusBlobScanFallback(t *testing.T) {
	// Neither entry-0 rule matches: the string area starts after 4 bytes
	// of padding, so iServiceName is 20 WCHARs (40 bytes), not 36N.
	b := unhex(t, "14000000 18000000 10000000 01000000 00000000 00000000 00000000 00000000 00000000 00000000")
	b = append(b, wstr("abc")...)
	b = append(b, wstr("Alpha")...)
	list, u, err := iiss.DecodeStatusBlob(b, 1)
	if err != nil || u != iiss.OffsetWCHAR || list[0].Name != "abc" || list[0].DisplayName != "Alpha" {
		t.Fatalf("%+v %v %v", list, u, err)
	}
}

func TestStatusBlobRejects(t *testing.T) {
	good := exampleBlob(t, false)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		n    uint32
	}{
		{"fits neither unit", mut(func(b []byte) []byte { b[0] = 0x25; return b }), 2},
		{"offset mid-string", mut(func(b []byte) []byte { b[4] = 0x2b; return b }), 2},
		{"odd byte offset", func() []byte { b := exampleBlob(t, true); b[4] = 0x55; return b }(), 2},
		{"offset past end", mut(func(b []byte) []byte { b[40] = 0xff; return b }), 2},
		{"offset inside entries", mut(func(b []byte) []byte { b[40] = 0x01; return b }), 2},
		{"string without NUL", mut(func(b []byte) []byte { return b[:len(b)-2] }), 2},
		{"too many services", good, 6},
		{"huge count", good, 0xFFFFFFFF},
		{"empty buffer, one service", nil, 1},
	}
	for _, c := range cases {
		if _, _, err := iiss.DecodeStatusBlob(c.b, c.n); !errors.Is(err, iiss.ErrBadStatusBlob) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if list, _, err := iiss.DecodeStatusBlob(nil, 0); err != nil || len(list) != 0 {
		t.Errorf("empty: %v %v", list, err)
	}
}
