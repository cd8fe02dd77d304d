package dcom

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
)

// impacketScript activates the echo class through impacket's
// DCOMConnection (RemoteCreateInstance), calls IEcho::Echo with a custom
// NDRCALL through INTERFACE.request (ORPCTHIS), pings with ComplexPing
// and SimplePing, releases with RemRelease (an alter_context with a fresh
// NTLM exchange), then calls again, which must fail RPC_E_DISCONNECTED.
// DCOMConnection dials port 135; the activation port is patched into the
// transport factory for the target's exact string binding.
const impacketScript = `
import json, sys, threading
from impacket.dcerpc.v5 import transport, dcomrt
from impacket.dcerpc.v5.dcomrt import DCOMConnection, ORPCTHIS, ORPCTHAT, IRemUnknown, IObjectExporter
from impacket.dcerpc.v5.ndr import NDRCALL
from impacket.dcerpc.v5.dtypes import DWORD
from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_LEVEL_PKT_PRIVACY
from impacket.uuid import string_to_bin

port, user, password, domain, clsid, iid, legacy = sys.argv[1:8]
legacy = legacy == '1'
port = int(port)
orig = transport.DCERPCTransportFactory
def factory(sb):
    t = orig(sb)
    if sb == 'ncacn_ip_tcp:127.0.0.1':
        t.set_dport(port)
    return t
transport.DCERPCTransportFactory = factory

class Echo(NDRCALL):
    opnum = 3
    structure = (('ORPCthis', ORPCTHIS), ('x', DWORD))
class EchoResponse(NDRCALL):
    structure = (('ORPCthat', ORPCTHAT), ('y', DWORD), ('ErrorCode', DWORD))

out = {}
def main():
    dcom = DCOMConnection('127.0.0.1', user, password, domain, '', '', oxidResolver=True,
                          authLevel=RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
    try:
        obj = dcom.CoCreateInstanceEx(string_to_bin(clsid), string_to_bin(iid))
        out['oid'] = obj.get_oid()
        out['ipid'] = obj.get_iPid().hex()
        req = Echo()
        req['x'] = 41
        resp = obj.request(req, string_to_bin(iid), obj.get_iPid())
        out['y'] = resp['y']
        exp = IObjectExporter(dcom.get_dce_rpc())
        r = exp.ComplexPing(0, 0, [obj.get_oid()], [])
        out['setid'] = r['pSetId']
        exp.SimplePing(r['pSetId'])
        IRemUnknown(obj).RemRelease()
        if legacy:
            # impacket re-binds the activation connection, which our RPC
            # server refuses (second bind); use a connection of its own.
            t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1')
            t.set_credentials(user, password, domain)
            dce = t.get_dce_rpc()
            dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
            dce.connect()
            obj2 = dcomrt.IActivation(dce).RemoteActivation(string_to_bin(clsid), string_to_bin(iid))
            req['x'] = 99
            out['legacy_y'] = obj2.request(req, string_to_bin(iid), obj2.get_iPid())['y']
            IRemUnknown(obj2).RemRelease()
            req['x'] = 41
        try:
            obj.request(req, string_to_bin(iid), obj.get_iPid())
            out['after_release'] = 'ok'
        except Exception as e:
            out['after_release'] = str(e)
    finally:
        dcom.disconnect()
def guarded():
    try:
        main()
    except Exception as e:
        import traceback
        out['exception'] = traceback.format_exc()
th = threading.Thread(target=guarded, daemon=True)
th.start()
th.join(40)
if th.is_alive():
    print(json.dumps({'error': 'timeout'}))
    sys.exit(2)
print(json.dumps(out))
`

func TestImpacketActivateCallPingRelease(t *testing.T) {
	peertest.Python(t)
	for _, legacy := range []bool{false, true} {
		t.Run("legacy="+strconv.FormatBool(legacy), func(t *testing.T) { impacketRun(t, legacy) })
	}
}

// impacketRun runs impacketScript; with legacy it also activates through
// IActivation::RemoteActivation.
func impacketRun(t *testing.T, legacy bool) {
	f := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	flag := "0"
	if legacy {
		flag = "1"
	}
	stdout, stderr, err := peertest.RunPython(t, ctx, impacketScript, strconv.Itoa(f.port), testUser, testPassword,
		"IISCTLTEST", CLSID_Echo.String(), IID_IEcho.String(), flag)
	if err != nil {
		t.Fatalf("impacket: %v\nstdout: %s\nstderr: %s\nserver log:\n%s", err, stdout, stderr, f.logs.String())
	}
	var out struct {
		OID          uint64 `json:"oid"`
		Y            uint32 `json:"y"`
		LegacyY      uint32 `json:"legacy_y"`
		SetID        uint64 `json:"setid"`
		AfterRelease string `json:"after_release"`
		Exception    string `json:"exception"`
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		t.Fatalf("output %q: %v\nstderr: %s", stdout, err, stderr)
	}
	if out.Exception != "" {
		t.Fatalf("impacket raised:\n%s\nserver log:\n%s", out.Exception, f.logs.String())
	}
	if out.Y != 42 {
		t.Errorf("Echo(41) = %d over impacket", out.Y)
	}
	if out.SetID == 0 || !f.srv.tab.setPingedAt(out.OID, f.clock.now()) {
		t.Errorf("ping set %#x does not hold OID %#x", out.SetID, out.OID)
	}
	if !strings.Contains(out.AfterRelease, "RPC_E_DISCONNECTED") {
		t.Errorf("call after RemRelease: %q, want RPC_E_DISCONNECTED", out.AfterRelease)
	}
	want := int32(1)
	if legacy {
		want = 2
		if out.LegacyY != 100 {
			t.Errorf("Echo(99) after RemoteActivation = %d", out.LegacyY)
		}
	}
	if f.echo.created.Load() != want || f.echo.closed.Load() != want || f.srv.tab.count() != 0 {
		t.Errorf("created %d, closed %d, live %d; want %d, %d, 0", f.echo.created.Load(), f.echo.closed.Load(), f.srv.tab.count(), want, want)
	}
}
