package dcom

import (
	"net"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

func dsa(addrs ...string) *DualStringArray {
	d := &DualStringArray{SecurityBindings: (&Server{}).securityBindings()}
	for _, a := range addrs {
		d.StringBindings = append(d.StringBindings, StringBinding{TowerID: TowerNCACNIPTCP, NetworkAddr: a})
	}
	return d
}

func TestExporterCandidatesOrder(t *testing.T) {
	d := dsa("WEB01[49667]", "10.0.0.5[49667]", "web01.corp.example[49667]", "junk", "Web01.Corp.Example[49667]")
	d.StringBindings = append(d.StringBindings, StringBinding{TowerID: 0x1F, NetworkAddr: "web01.corp.example[1]"})
	got := exporterCandidates("web01.corp.example", d)
	want := []string{"web01.corp.example:49667", "WEB01:49667", "10.0.0.5:49667"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// NAT: nothing advertised matches; the user's host with the port comes last.
	got = exporterCandidates("203.0.113.9", dsa("WEB01[49667]", "10.0.0.5[49667]"))
	want = []string{"WEB01:49667", "10.0.0.5:49667", "203.0.113.9:49667"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NAT: got %v, want %v", got, want)
	}
	if got := exporterCandidates("h", dsa("h")); len(got) != 0 {
		t.Fatalf("resolver-style binding used: %v", got)
	}
}

// TestDialExporterFallsBackToUserHost: the server advertises only names the
// client cannot reach; the client reaches the exporter through the host
// it was given and the advertised port.
func TestDialExporterFallsBackToUserHost(t *testing.T) {
	f := startServer(t, nil)
	ctx := testCtx(t)
	_, ps, _ := net.SplitHostPort(f.obj)
	conn, err := dialExporter(ctx, ClientConfig{Host: "127.0.0.1", DialTimeout: 2 * time.Second},
		dsa("no-such-host.invalid["+ps+"]", "127.0.0.1["+strconv.Itoa(1)+"]"))
	if err != nil {
		t.Fatalf("dialExporter: %v", err)
	}
	defer conn.Close()
	if conn.RemoteAddr().String() != f.obj {
		t.Fatalf("connected to %v, want %s", conn.RemoteAddr(), f.obj)
	}
}

// TestResolverEndpoint: ServerAlive2 needs no authentication and returns
// port-less bindings; ResolveOxid needs integrity, and an unknown OXID gets
// OR_INVALID_OXID.
func TestResolverEndpoint(t *testing.T) {
	f := startServer(t, nil)
	ctx := testCtx(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port))
	conn, err := rpc.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pc, err := conn.Bind(ctx, rpc.SyntaxID{UUID: IID_IObjectExporter}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var alive ServerAlive2Response
	if err := invoke(ctx, conn, pc, opServerAlive2, nil, &emptyRequest{}, &alive); err != nil {
		t.Fatalf("ServerAlive2: %v", err)
	}
	want := dsa("127.0.0.1", "IISCTLTEST", "iisctltest.example")
	if alive.COMVersion != serverVersion || !reflect.DeepEqual(alive.OrBindings, want) {
		t.Fatalf("ServerAlive2: %+v %+v", alive.COMVersion, alive.OrBindings)
	}
	var res ResolveOxidResponse
	err = invoke(ctx, conn, pc, opResolveOxid, nil, &ResolveOxidRequest{OXID: f.srv.tab.oxid, RequestedProtseqs: []uint16{7}}, &res)
	wantFault(t, err, rpc.StatusAccessDenied)

	cfg, _ := f.clientConfig(testUser, false).withDefaults()
	aconn, apc, err := dialActivator(ctx, cfg, IID_IObjectExporter)
	if err != nil {
		t.Fatal(err)
	}
	defer aconn.Close()
	res = ResolveOxidResponse{Version2: true}
	if err := invoke(ctx, aconn, apc, opResolveOxid2, nil, &ResolveOxidRequest{OXID: f.srv.tab.oxid, RequestedProtseqs: []uint16{7}}, &res); err != nil {
		t.Fatal(err)
	}
	_, ps, _ := net.SplitHostPort(f.obj)
	want = dsa("127.0.0.1["+ps+"]", "IISCTLTEST["+ps+"]", "iisctltest.example["+ps+"]")
	if res.Status != 0 || res.AuthnHint != 6 || res.IPIDRemUnknown != f.srv.tab.remUnk || !reflect.DeepEqual(res.OxidBindings, want) {
		t.Fatalf("ResolveOxid2: %+v bindings %+v", res, res.OxidBindings)
	}
	res = ResolveOxidResponse{}
	if err := invoke(ctx, aconn, apc, opResolveOxid, nil, &ResolveOxidRequest{OXID: f.srv.tab.oxid + 1}, &res); err != nil || res.Status != OR_INVALID_OXID {
		t.Fatalf("unknown OXID: %v status %#x", err, res.Status)
	}
	var sp StatusResponse
	if err := invoke(ctx, aconn, apc, opSimplePing, nil, &SimplePingRequest{SetID: 12345}, &sp); err != nil || sp.Status != OR_INVALID_SET {
		t.Fatalf("unknown set: %v status %#x", err, sp.Status)
	}
	var cp ComplexPingResponse
	if err := invoke(ctx, aconn, apc, opComplexPing, nil, &ComplexPingRequest{AddToSet: []uint64{42}}, &cp); err != nil || cp.Status != OR_INVALID_OID || cp.SetID == 0 {
		t.Fatalf("unknown OID: %v %+v", err, cp)
	}
}

type emptyRequest struct{}

func (emptyRequest) MarshalNDR(*ndr.Writer) {}

type authTypeOnly rpc.AuthType

func (a authTypeOnly) AuthType() rpc.AuthType                         { return rpc.AuthType(a) }
func (a authTypeOnly) NewServerContext() (rpc.SecurityContext, error) { return nil, nil }

// TestSecurityBindingsKerberos: with a Kerberos acceptor the bindings of
// ServerAlive2, the activation reply and OBJREFs add auth service 16.
func TestSecurityBindingsKerberos(t *testing.T) {
	s := NewServer(&ServerConfig{Acceptors: []rpc.Acceptor{authTypeOnly(rpc.AuthTypeNTLM), authTypeOnly(rpc.AuthTypeSPNEGO)}})
	if got := s.securityBindings(); len(got) != 2 || got[0].AuthnSvc != AuthnWinNT || got[1].AuthnSvc != AuthnGSSNego {
		t.Fatalf("without Kerberos: %v", got)
	}
	s = NewServer(&ServerConfig{Acceptors: []rpc.Acceptor{authTypeOnly(rpc.AuthTypeNTLM), authTypeOnly(rpc.AuthTypeSPNEGO), authTypeOnly(rpc.AuthTypeKerberos)}})
	got := s.resolverBindings(nil).SecurityBindings
	if len(got) != 3 || got[2].AuthnSvc != AuthnGSSKerb || got[1].AuthnSvc != AuthnGSSNego {
		t.Fatalf("with Kerberos: %v", got)
	}
}
