package peertest

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/capture"
)

func TestRequirePeers(t *testing.T) {
	t.Setenv(EnvRequirePeers, "1")
	if !RequirePeers() {
		t.Error("RequirePeers() = false with IISCTL_REQUIRE_PEERS=1")
	}
	t.Setenv(EnvRequirePeers, "")
	if RequirePeers() {
		t.Error("RequirePeers() = true without IISCTL_REQUIRE_PEERS")
	}
}

func TestRunPython(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, errOut, err := RunPython(t, ctx, "import sys\nprint(' '.join(sys.argv[1:]))\nsys.stderr.write('e')\n", "a", "b c")
	if err != nil || out != "a b c\n" || errOut != "e" {
		t.Errorf("RunPython = %q, %q, %v", out, errOut, err)
	}
	_, _, err = RunPython(t, ctx, "raise SystemExit(3)")
	if err == nil {
		t.Error("exit status 3 not reported")
	}
	short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	start := time.Now()
	if _, _, err := RunPython(t, short, "import time\ntime.sleep(30)"); err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("timeout not enforced: %v after %v", err, time.Since(start))
	}
}

func TestPythonImpacket(t *testing.T) {
	py := Python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, errOut, err := RunPython(t, ctx, "import impacket.dcerpc.v5.rpcrt as r\nprint(r.MSRPC_BIND)\n")
	if err != nil || strings.TrimSpace(out) != "11" {
		t.Errorf("%s: %q %q %v", py, out, errOut, err)
	}
}

// bindPDU is a minimal DCE/RPC bind, written out by hand: one presentation
// context offering IIisServiceControl 0.0 with NDR 2.0.
var bindPDU = mustHex(
	"05000b03" + "10000000" + "4800" + "0000" + "01000000" + // vers 5.0, bind, first|last, LE drep, frag_len 72, auth_len 0, call_id 1
		"b810" + "b810" + "00000000" + // max_xmit 4280, max_recv 4280, assoc_group 0
		"01" + "000000" + // n_context_elem 1, reserved
		"0000" + "01" + "00" + // p_cont_id 0, n_transfer_syn 1, reserved
		"2086fbe88f58d2119d6100c04f79c5fe" + "00000000" + // abstract e8fb8620-588f-11d2-9d61-00c04f79c5fe v0.0
		"045d888aeb1cc9119fe808002b104860" + "02000000") // NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestCaptureBind(t *testing.T) {
	if len(bindPDU) != 72 {
		t.Fatalf("bind is %d bytes", len(bindPDU))
	}
	Tshark(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		got <- b
	}()

	start := time.Now()
	cp := StartCapture(t, ctx, port)
	t.Logf("capture started in %v", time.Since(start))

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(bindPDU); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	select {
	case b := <-got:
		if !bytes.Equal(b, bindPDU) {
			t.Fatalf("server read % x", b)
		}
	case <-ctx.Done():
		t.Fatal("server read timed out")
	}

	start = time.Now()
	path := cp.Stop()
	t.Logf("capture stopped in %v", time.Since(start))
	rows := cp.Fields(t, "dcerpc", "dcerpc.pkt_type", "dcerpc.cn_frag_len", "dcerpc.cn_call_id", "dcerpc.cn_bind_to_uuid", "dcerpc.cn_bind_trans_ver")
	if len(rows) != 1 || len(rows[0]) != 5 || rows[0][0] != "11" || rows[0][1] != "72" || rows[0][2] != "1" ||
		rows[0][3] != "e8fb8620-588f-11d2-9d61-00c04f79c5fe" || rows[0][4] != "2" {
		t.Errorf("tshark dcerpc fields = %q, want one bind", rows)
	}
	cp.AssertWellFormed(t)
	if out := cp.Decode(t, "-Y", "dcerpc.pkt_type == 11"); !strings.Contains(out, "Bind") {
		t.Errorf("tshark summary lacks Bind: %q", out)
	}

	// Our own reader sees the same PDU.
	pdus, err := capture.ReadPDUs(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pdus) != 1 || !bytes.Equal(pdus[0].Bytes, bindPDU) || !pdus[0].FromClient || pdus[0].Dst.Port() != uint16(port) {
		t.Errorf("capture.ReadPDUs = %+v", pdus)
	}
	if !slices.Equal(cp.Ports(), []int{port}) {
		t.Errorf("Ports = %v", cp.Ports())
	}
}
