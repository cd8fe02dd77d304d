package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/internal/winclient"
)

// TestTsharkClassObject: Wireshark dissects the class-object exchange at
// packet privacy, without malformed packets or expert errors with or
// without the key, for both the Windows-shaped client (the replayed
// Windows RemoteGetClassObject stub, NDR20+NDR64+features binds,
// verification trailers; raw NTLM on the exporter) and impacket; and the
// Windows-shaped client's SPNEGO fallback without malformed packets (see
// spnegoFallback for what is checked once decrypted). With
// the key it finds RemoteGetClassObject with our CLSID, the IClassFactory
// reference in PropsOutInfo, the RemQueryInterface for IClassFactory2
// answered E_NOINTERFACE, and the OBJREF_STANDARDs.
func TestTsharkClassObject(t *testing.T) {
	rec := winclient.Load(t)
	peertest.Tshark(t)
	d := impacketDemo(t, 8)
	for _, client := range []string{"winclient", "winclient-spnego", "impacket"} {
		t.Run(client, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := captureDemo(t, ctx, d)
			switch client {
			case "impacket":
				recs := runImpacket(t, d, impacketArgs{User: testAdmin, Password: testAdminPass, Activation: "classobject"}, "status")
				wantOps(t, recs, "activate", "qi_classfactory2", "create", "create", "release_factory", "status")
			default:
				windowsRoad(t, ctx, d, rec, client == "winclient")
			}
			c.Stop()
			if dir := os.Getenv("IISCTL_KEEP_PCAP"); dir != "" {
				if b, err := os.ReadFile(c.Path()); err == nil {
					os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".pcapng"), b, 0o644)
				}
			}
			c.AssertWellFormed(t)
			if client == "winclient-spnego" {
				spnegoFallback(t, c)
				return
			}
			filter := "(" + peertest.MalformedFilter + ") && !udp"
			if out := strings.TrimSpace(c.Decode(t, append(slices.Clone(ntlmKey), "-Y", filter)...)); out != "" {
				t.Errorf("tshark reports malformed packets or expert errors once decrypted:\n%s\n%s", out,
					c.Decode(t, append(slices.Clone(ntlmKey), "-Y", filter, "-V")...))
			}
			if rows := c.Fields(t, "dcerpc.decrypted_stub_data || isystemactivator.properties.instninfo.clsid", "frame.number"); len(rows) != 0 {
				t.Errorf("tshark read %d sealed stubs without the key", len(rows))
			}
			// One decode, then the checks on its fields (each tshark run costs a second).
			fields := []string{"isystemactivator.opnum", "dcerpc.pkt_type", "isystemactivator.properties.instninfo.clsid",
				"isystemactivator.properties.iid", "isystemactivator.properties.retval", "dcom.iid", "dcom.hresult",
				"dcom.stdobjref", "dcom.ipid", "dcerpc.opnum", "dcerpc.decrypted_stub_data"}
			args := append(slices.Clone(ntlmKey), "-Y", "dcerpc", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,")
			for _, f := range fields {
				args = append(args, "-e", f)
			}
			var rows [][]string
			for line := range strings.Lines(c.Decode(t, args...)) {
				rows = append(rows, strings.Split(strings.TrimRight(line, "\r\n"), "\t"))
			}
			col := func(r []string, name string) string {
				i := slices.Index(fields, name)
				if i < len(r) {
					return r[i]
				}
				return ""
			}
			has := func(r []string, name, v string) bool { return slices.Contains(strings.Split(col(r, name), ","), v) }
			for _, q := range []struct {
				what string
				ok   func(r []string) bool
			}{
				{"RemoteGetClassObject request", func(r []string) bool { return has(r, "isystemactivator.opnum", "3") && has(r, "dcerpc.pkt_type", "0") }},
				{"RemoteGetClassObject response", func(r []string) bool { return has(r, "isystemactivator.opnum", "3") && has(r, "dcerpc.pkt_type", "2") }},
				{"our CLSID in InstantiationInfo", func(r []string) bool {
					return has(r, "isystemactivator.properties.instninfo.clsid", "e8fb8621-588f-11d2-9d61-00c04f79c5fe")
				}},
				{"IClassFactory and S_OK in PropsOutInfo", func(r []string) bool {
					return has(r, "isystemactivator.properties.iid", "00000001-0000-0000-c000-000000000046") && has(r, "isystemactivator.properties.retval", "0")
				}},
				{"the RemQueryInterface for IClassFactory2", func(r []string) bool { return has(r, "dcom.iid", "b196b28f-bab4-101a-b69c-00aa00341d07") }},
				{"E_NOINTERFACE", func(r []string) bool { return has(r, "dcom.hresult", "0x80004002") }},
				{"an OBJREF_STANDARD", func(r []string) bool { return col(r, "dcom.stdobjref") != "" && col(r, "dcom.ipid") != "" }},
				{"a decrypted request on opnum 3 (CreateInstance, RemQueryInterface)", func(r []string) bool {
					return has(r, "dcerpc.opnum", "3") && has(r, "dcerpc.pkt_type", "0") && col(r, "dcerpc.decrypted_stub_data") != ""
				}},
			} {
				if !slices.ContainsFunc(rows, q.ok) {
					t.Errorf("decrypted, tshark dissected no %s", q.what)
				}
			}
		})
	}
}

// spnegoFallback checks, in a capture of the Windows-shaped road with
// SPNEGO on the exporter, that Wireshark sees the fallback as Windows
// does it: the bind's NegTokenInit offers MS-KRB5, KRB5, NEGOEX and
// NTLMSSP, the acceptor selects NTLMSSP, and NTLM's three messages run
// in alter_context; with the key, the first sealed request (the
// RemQueryInterface for IClassFactory2) decrypts and dissects. Wireshark
// 4.0 loses its RC4 state after the first sealed PDU of such a four-leg
// exchange (the three-leg one decrypts throughout, and both of our ends
// agree), so later PDUs are not checked once decrypted.
func spnegoFallback(t *testing.T, c *peertest.Capture) {
	t.Helper()
	mechs := c.Fields(t, "spnego.MechType", "spnego.MechType")
	if len(mechs) == 0 || mechs[0][0] != "1.2.840.48018.1.2.2,1.2.840.113554.1.2.2,1.3.6.1.4.1.311.2.2.30,1.3.6.1.4.1.311.2.2.10" {
		t.Errorf("NegTokenInit mechanisms %v, want MS-KRB5, KRB5, NEGOEX, NTLMSSP", mechs)
	}
	if rows := c.Fields(t, "spnego.supportedMech == 1.3.6.1.4.1.311.2.2.10", "frame.number"); len(rows) == 0 {
		t.Error("no negTokenResp selecting NTLMSSP")
	}
	for _, m := range []string{"1", "2", "3"} {
		if rows := c.Fields(t, "ntlmssp.messagetype == "+m+" && (dcerpc.pkt_type == 14 || dcerpc.pkt_type == 15)", "frame.number"); len(rows) == 0 {
			t.Errorf("no NTLM message type %s in alter_context", m)
		}
	}
	args := append(slices.Clone(ntlmKey), "-Y", "dcom.iid == b196b28f-bab4-101a-b69c-00aa00341d07", "-T", "fields", "-e", "frame.number")
	if strings.TrimSpace(c.Decode(t, args...)) == "" {
		t.Error("decrypted, tshark dissected no RemQueryInterface for IClassFactory2")
	}
}

// windowsRoad runs the Windows-shaped class-object road once: class
// object, IClassFactory2, CreateInstance, Status, releases; with rawNTLM
// the exporter is authenticated with raw NTLM rather than the captured
// Kerberos-first SPNEGO offer.
func windowsRoad(t *testing.T, ctx context.Context, d *demoServer, rec *winclient.Recording, rawNTLM bool) {
	t.Helper()
	cfg := &winclient.Config{Addr: d.Act.String(), User: testAdmin, Password: testAdminPass, Rec: rec, RawNTLM: rawNTLM}
	co, err := winclient.GetClassObject(ctx, cfg, iiss.CLSID_IIisServiceControl)
	if err != nil {
		t.Fatalf("class object: %v\n%s", err, d.Logs())
	}
	defer co.Close()
	if _, err := co.QueryInterfaceClassFactory2(ctx); err == nil {
		t.Fatal("IClassFactory2 answered")
	}
	obj, err := co.CreateInstance(ctx, iiss.IID_IIisServiceControl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wireStatus(ctx, obj); err != nil {
		t.Fatal(err)
	}
	if err := co.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := obj.Release(ctx); err != nil {
		t.Fatal(err)
	}

}
