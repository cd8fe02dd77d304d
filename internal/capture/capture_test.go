package capture

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// golden lists the capture files of ../shared/captures/README.md with the
// DCE/RPC PDU counts that tshark 4.0.17 reports for them, from
//
//	tshark -r F -Y 'dcerpc && tcp.port != 445' -T fields -e tcp.stream -e dcerpc.pkt_type
//
// (port 445 is excluded: that is DCE/RPC inside SMB2, which this package
// does not dissect). ptypes maps PTYPE to the number of PDUs of that type.
var golden = []struct {
	name    string
	packets int
	pdus    int
	streams int // TCP streams carrying DCE/RPC
	ptypes  map[uint8]int
}{
	{"dcom_win10-ws2016_ntlm-integrity_serveralive2-getclassobject-remqi-remrelease.pcap", 647, 461, 4,
		map[uint8]int{0: 215, 2: 215, 11: 4, 12: 4, 14: 11, 15: 11, 16: 1}},
	{"dcom_wmi_remotecreateinstance_krb-connect-level.pcapng", 17, 6, 1,
		map[uint8]int{0: 1, 2: 1, 11: 1, 12: 1, 14: 1, 15: 1}},
	{"dcom_iremunknown2_spnego-ntlm-altctx-3leg.pcapng", 6, 5, 1,
		map[uint8]int{11: 1, 12: 1, 14: 2, 15: 1}},
	{"svcctl_win10-ws2019_ntlm-sealed_pw-known.pcapng", 35, 20, 2,
		map[uint8]int{0: 5, 2: 9, 3: 1, 11: 2, 12: 2, 16: 1}},
	{"drsuapi_ws2019_ntlm-sealed_pw-known_scapy-client.pcapng", 15, 7, 1,
		map[uint8]int{0: 2, 2: 2, 11: 1, 12: 1, 16: 1}},
	{"dcom_excel-registerxll_ntlm_serveralive2-getclassobject-idispatch.pcap", 57, 38, 3,
		map[uint8]int{0: 12, 2: 11, 11: 3, 12: 3, 14: 4, 15: 4, 16: 1}},
	{"dcom_wmi-sharpwmi_simpleping-remotecreateinstance-wbem_krb.pcap", 98, 54, 3,
		map[uint8]int{0: 12, 2: 18, 11: 3, 12: 3, 14: 9, 15: 9}},
	{"dcom_shellwindows_getclassobject-resolveoxid2-idispatch_krb.pcap", 147, 129, 2,
		map[uint8]int{0: 55, 2: 54, 11: 2, 12: 2, 14: 8, 15: 8}},
	{"dcom_wmi-execmethod_serveralive2-remotecreateinstance-fragreq_krb.pcap", 116, 55, 3,
		map[uint8]int{0: 14, 2: 19, 11: 3, 12: 3, 14: 8, 15: 8}},
}

func TestGoldenCaptures(t *testing.T) {
	for _, g := range golden {
		t.Run(g.name, func(t *testing.T) {
			f := OpenFile(t, g.name)
			if f.Packets != g.packets || f.Segments != g.packets {
				t.Errorf("packets = %d, TCP segments = %d, want %d", f.Packets, f.Segments, g.packets)
			}
			if len(f.PDUs) != g.pdus {
				t.Errorf("PDUs = %d, want %d", len(f.PDUs), g.pdus)
			}
			ptypes := map[uint8]int{}
			for _, p := range f.PDUs {
				ptypes[p.PType()]++
			}
			if fmt.Sprint(ptypes) != fmt.Sprint(g.ptypes) {
				t.Errorf("PDUs by ptype = %v, want %v", ptypes, g.ptypes)
			}
			n := 0
			for _, s := range f.Streams {
				if s.DCERPC() {
					n++
				}
				for _, d := range []Direction{s.Client, s.Server} {
					if d.Gap || d.BadHeader != nil || (d.DCERPC && d.Trailing != 0) {
						t.Errorf("stream %d %v->%v: gap=%v at %d, bad header %v, %d trailing bytes",
							s.Index, d.Src, d.Dst, d.Gap, d.GapAt, d.BadHeader, d.Trailing)
					}
				}
				// Every DCE/RPC stream starts with the client's bind.
				if s.DCERPC() {
					if i := slices.IndexFunc(f.PDUs, func(p PDU) bool { return p.Stream == s.Index }); f.PDUs[i].PType() != 11 || !f.PDUs[i].FromClient {
						t.Errorf("stream %d: first PDU ptype %d fromClient %v, want a client bind", s.Index, f.PDUs[i].PType(), f.PDUs[i].FromClient)
					}
				}
			}
			if n != g.streams {
				t.Errorf("DCE/RPC streams = %d, want %d", n, g.streams)
			}
			for i, p := range f.PDUs {
				if p.Frame < 1 || p.Frame > p.EndFrame || p.EndFrame > f.Packets {
					t.Errorf("PDU %d: frames %d..%d out of range", i, p.Frame, p.EndFrame)
				}
				if int(order(p.Bytes).Uint16(p.Bytes[8:])) != len(p.Bytes) {
					t.Errorf("PDU %d: frag_length != len", i)
				}
			}
		})
	}
}

// TestGoldenCapturesAgainstTshark compares, PDU by PDU, the frame, stream,
// ptype and call_id with what tshark reports (skipped without tshark).
func TestGoldenCapturesAgainstTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		skip(t, "tshark not installed: apt-get install tshark")
	}
	for _, g := range golden {
		t.Run(g.name, func(t *testing.T) {
			path := Path(t, g.name)
			out, err := exec.Command(tshark, "-r", path, "-Y", "dcerpc && tcp.port != 445", "-T", "fields",
				"-e", "frame.number", "-e", "tcp.stream", "-e", "dcerpc.pkt_type", "-e", "dcerpc.cn_call_id").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			var want []string
			for line := range strings.Lines(string(out)) {
				fs := strings.Split(strings.TrimRight(line, "\n"), "\t")
				if len(fs) != 4 {
					t.Fatalf("tshark line %q", line)
				}
				types, ids := strings.Split(fs[2], ","), strings.Split(fs[3], ",")
				for i := range types {
					want = append(want, fs[0]+"/"+fs[1]+"/"+types[i]+"/"+ids[min(i, len(ids)-1)])
				}
			}
			// ReadPDUs orders by stream first; tshark lists by frame.
			slices.SortStableFunc(want, func(a, b string) int {
				x, _ := strconv.Atoi(strings.Split(a, "/")[1])
				y, _ := strconv.Atoi(strings.Split(b, "/")[1])
				return x - y
			})
			var got []string
			for _, p := range OpenFile(t, g.name).PDUs {
				got = append(got, fmt.Sprintf("%d/%d/%d/%d", p.EndFrame, p.Stream, p.PType(), p.CallID()))
			}
			if !slices.Equal(got, want) {
				t.Errorf("frame/stream/ptype/call_id mismatch\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestGoldenHex(t *testing.T) {
	m := OpenHex(t, "ntlm_spnego_real-exchange_DOMAIN-User1_pw-known.hex")
	for name, n := range map[string]int{"tok0": 120, "tok1": 74, "tok2": 205, "tok3": 475, "tok4": 29} {
		if len(m[name]) != n {
			t.Errorf("%s: %d bytes, want %d", name, len(m[name]), n)
		}
	}
	if !bytes.Contains(m["tok1"], []byte("NTLMSSP\x00\x01\x00\x00\x00")) {
		t.Errorf("tok1 holds no NTLM NEGOTIATE")
	}
	m = OpenHex(t, "dcom_objref_wmi-execquery-response-stub.hex")
	if b := m["execquery_response_stub"]; !bytes.HasPrefix(b[12:], []byte("MEOW")) {
		t.Errorf("execquery_response_stub: no OBJREF signature at offset 12: % x", b[:16])
	}

	// Every file of the shared inventory's table is present and parses.
	readme, err := os.ReadFile(filepath.Join(Dir(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for line := range strings.Lines(string(readme)) {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		fs := strings.Split(line, "|")
		if len(fs) < 3 {
			continue
		}
		if _, err := strconv.Atoi(strings.TrimSpace(fs[1])); err != nil {
			continue
		}
		name := strings.Trim(strings.Fields(fs[2])[0], "`")
		seen++
		p := Path(t, name)
		if strings.HasSuffix(name, ".hex") {
			b, err := ReadHex(p)
			if err != nil || len(b) == 0 {
				t.Errorf("%s: %d blobs, %v", name, len(b), err)
			}
			continue
		}
		if !slices.ContainsFunc(golden, func(g struct {
			name    string
			packets int
			pdus    int
			streams int
			ptypes  map[uint8]int
		}) bool {
			return g.name == name
		}) {
			t.Errorf("%s is in README.md but not in the golden table", name)
		}
		if _, err := Read(p); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if seen != 11 {
		t.Errorf("README table has %d entries, want 11", seen)
	}
}

func TestParseHex(t *testing.T) {
	b, err := ParseHex([]byte("# c1\n\n# c2\n# c3\nname 0a0B ff\n\nx\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 2 || b[0].Name != "name" || !bytes.Equal(b[0].Bytes, []byte{10, 11, 255}) ||
		fmt.Sprint(b[0].Comment) != "[c2 c3]" || b[0].Line != 5 || b[1].Name != "x" || len(b[1].Bytes) != 0 {
		t.Errorf("got %+v", b)
	}
	if _, err := ParseHex([]byte("bad 0g\n")); err == nil {
		t.Error("bad hex accepted")
	}
}

func TestDir(t *testing.T) {
	if d := Dir(); d != "" {
		if _, err := os.Stat(d + "/README.md"); err != nil {
			t.Errorf("Dir() = %q without README.md", d)
		}
	}
	t.Chdir(t.TempDir())
	if d := Dir(); d != "" {
		t.Errorf("Dir() from a temp dir = %q, want \"\"", d)
	}
}

// TestRepoCaptures: the repository's own captures are the MIT and BSD
// ones of its README, each present, parsing, and listed with its licence;
// nothing GPL is copied in.
func TestRepoCaptures(t *testing.T) {
	d := RepoDir()
	if d == "" {
		t.Fatal("testdata/captures not found")
	}
	readme, err := os.ReadFile(filepath.Join(d, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for line := range strings.Lines(string(readme)) {
		fs := strings.Split(line, "|")
		if len(fs) < 5 {
			continue
		}
		if _, err := strconv.Atoi(strings.TrimSpace(fs[1])); err != nil {
			continue
		}
		name := strings.Trim(strings.TrimSpace(fs[2]), "`")
		lic := fs[4]
		if !strings.Contains(lic, "MIT") && !strings.Contains(lic, "BSD") || strings.Contains(lic, "GPL") {
			t.Errorf("%s: licence %q", name, lic)
		}
		listed[name] = true
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, e := range ents {
		n := e.Name()
		if n == "README.md" || n == "NOTICE" {
			continue
		}
		files++
		if !listed[n] {
			t.Errorf("%s is not in testdata/captures/README.md", n)
		}
		if f, err := Read(filepath.Join(d, n)); err != nil || len(f.PDUs) == 0 {
			t.Errorf("%s: %v", n, err)
		}
	}
	if files != len(listed) || files != 7 {
		t.Errorf("%d files, %d listed, want 7", files, len(listed))
	}
}
