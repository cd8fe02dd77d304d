package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
)

// impacketScript is our own [MS-IISS] client on top of impacket.
const impacketScript = "testdata/iiss_impacket.py"

// impacketRunTimeout bounds one script run; the script bounds itself a
// little earlier so that it can still print what it has.
const impacketRunTimeout = 45 * time.Second

// impacketRec is one JSON line of iiss_impacket.py.
type impacketRec struct {
	Op         string  `json:"op"`
	HResult    *uint32 `json:"hresult"`
	Error      string  `json:"error"`
	Traceback  string  `json:"traceback"`
	IPID       string  `json:"ipid"`
	Bindings   []string
	BufferSize uint32 `json:"buffer_size"`
	Returned   int    `json:"returned_bytes"`
	Required   uint32 `json:"required"`
	NumSvcs    uint32 `json:"num_services"`
	AllZero    bool   `json:"all_zero"`
	Services   []struct {
		Name    string `json:"name"`
		Display string `json:"display"`
		Type    uint32 `json:"type"`
		State   uint32 `json:"state"`
	} `json:"services"`
	Name    string   `json:"name"`
	Names   []string `json:"names"`
	DispIDs []uint32 `json:"dispids"`
	DispID  uint32   `json:"dispid"`
	ArgErr  uint32   `json:"arg_err"`
}

func (r impacketRec) hr() uint32 {
	if r.HResult == nil {
		return 0xFFFFFFFF
	}
	return *r.HResult
}

func (r impacketRec) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// impacketArgs says how the script reaches and authenticates to the demo.
type impacketArgs struct {
	User, Password, NTHash string
	Domain                 string // the account's domain (NTLM), or realm (Kerberos); empty for local users
	KDC                    string // Kerberos: impacket asks this KDC (port 88) for tickets
	AuthLevel              string // connect, integrity, privacy (default)
	ObjectLevel            string // overrides the authnHint impacket uses on the exporter
	Activation             string // "classobject": RemoteGetClassObject + IClassFactory::CreateInstance
}

// impacketDemo starts a demo server for impacket. impacket's DCOMConnection
// always dials port 135: as root, each test gets its own loopback address
// on port 135 (slot picks 127.35.0.slot), the exporter on the same
// address, and the script runs impacket unmodified. Otherwise (or if that
// address is taken) the server listens on 127.0.0.1:0 and the script sets
// the port on impacket's activation transport.
func impacketDemo(t *testing.T, slot int) *demoServer {
	t.Helper()
	return impacketDemoWith(t, slot, nil)
}

// impacketDemoWith is impacketDemo with a further configuration edit.
func impacketDemoWith(t *testing.T, slot int, edit func(*Config)) *demoServer {
	t.Helper()
	if os.Geteuid() == 0 {
		ip := fmt.Sprintf("127.35.0.%d", slot)
		addr := net.JoinHostPort(ip, "135")
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return startDemo(t, demoOptions{Activation: addr, Edit: func(c *Config) {
				c.Listen.Object = net.JoinHostPort(ip, "0")
				if edit != nil {
					edit(c)
				}
			}})
		} else {
			t.Logf("%s not available (%v): patching impacket's port instead", addr, err)
		}
	}
	return startDemo(t, demoOptions{Edit: edit})
}

// runImpacket runs iiss_impacket.py against d with the operations and
// returns its records by operation order. It fails the test when the
// script does not finish on its own.
func runImpacket(t *testing.T, d *demoServer, a impacketArgs, ops ...string) []impacketRec {
	t.Helper()
	peertest.Python(t)
	script, err := os.ReadFile(impacketScript)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(d.Target())
	if err != nil {
		host, port = d.Target(), "135"
	}
	if a.AuthLevel == "" {
		a.AuthLevel = "privacy"
	}
	args := []string{"--target", host, "--port", port, "--user", a.User, "--password", a.Password,
		"--auth-level", a.AuthLevel, "--timeout", strconv.Itoa(int(impacketRunTimeout/time.Second) - 5)}
	if a.Domain != "" {
		args = append(args, "--domain", a.Domain)
	}
	if a.KDC != "" {
		args = append(args, "--kerberos", "--kdc-host", a.KDC)
	}
	if a.NTHash != "" {
		args = append(args, "--nthash", a.NTHash)
	}
	if a.ObjectLevel != "" {
		args = append(args, "--object-level", a.ObjectLevel)
	}
	if a.Activation != "" {
		args = append(args, "--activation", a.Activation)
	}
	args = append(args, ops...)
	ctx, cancel := context.WithTimeout(context.Background(), impacketRunTimeout)
	defer cancel()
	start := time.Now()
	stdout, stderr, err := peertest.RunPython(t, ctx, string(script), args...)
	t.Logf("impacket %s (%v)", strings.Join(ops, " "), time.Since(start).Round(time.Millisecond))
	var recs []impacketRec
	for line := range strings.Lines(stdout) {
		if line = strings.TrimSpace(line); !strings.HasPrefix(line, "{") {
			continue
		}
		var r impacketRec
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("impacket output %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	if err != nil || len(recs) == 0 || recs[len(recs)-1].Op != "done" {
		t.Fatalf("impacket did not finish: %v\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", err, stdout, stderr, d.Logs())
	}
	for _, r := range recs {
		if r.Traceback != "" || r.Op == "exception" || r.Op == "disconnect" {
			t.Errorf("impacket %s: %s\n%s", r.Op, r.Error, r.Traceback)
		}
	}
	return recs[:len(recs)-1]
}

// wantOps checks that the records are for exactly these operations, with
// the activation first.
func wantOps(t *testing.T, recs []impacketRec, ops ...string) {
	t.Helper()
	var got []string
	for _, r := range recs {
		got = append(got, r.Op)
	}
	if strings.Join(got, " ") != strings.Join(ops, " ") {
		t.Fatalf("impacket ran %q, want %q:\n%v", got, ops, recs)
	}
}

// wantHR checks a record's HRESULT.
func wantHR(t *testing.T, r impacketRec, want uint32) {
	t.Helper()
	if r.hr() != want {
		t.Errorf("impacket %s: HRESULT %#08x, want %#08x (%s)", r.Op, r.hr(), want, r)
	}
}
