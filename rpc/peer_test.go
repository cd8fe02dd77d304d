package rpc

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/ndr"
)

// impacketEcho binds with impacket (NDR20, or NDR64 when argv[3] is 1),
// echoes stubs of several sizes (some fragmented by impacket at 1024
// bytes), and checks an out-of-range opnum faults.
const impacketEcho = `
import sys
from impacket.dcerpc.v5 import transport
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.uuid import uuidtup_to_bin, bin_to_uuidtup
port, iface, ndr64 = int(sys.argv[1]), sys.argv[2], sys.argv[3] == '1'
t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % port)
dce = t.get_dce_rpc()
dce.connect()
if ndr64:
    dce.bind(uuidtup_to_bin((iface, '1.0')), transfer_syntax=('71710533-BEBA-4937-8319-B5DBEF9CCC36', '1.0'))
else:
    dce.bind(uuidtup_to_bin((iface, '1.0')))
print('syntax', bin_to_uuidtup(dce.transfer_syntax)[0].lower())
for frag in (0, 1024):
    if frag:
        dce.set_max_fragment_size(frag)
    for n in (0, 5, 64, 10000):
        stub = bytes((i * 7) & 0xff for i in range(n))
        dce.call(3, stub)
        r = dce.recv()
        if r != stub:
            print('MISMATCH', frag, n, len(r))
            sys.exit(1)
        print('echo', frag, n)
try:
    dce.call(200, b'x')
    dce.recv()
    print('NO FAULT')
except DCERPCException as e:
    print('fault', str(e))
dce.disconnect()
`

func TestImpacketPeer(t *testing.T) {
	peertest.Python(t)
	for _, ndr64 := range []bool{false, true} {
		t.Run(map[bool]string{false: "NDR20", true: "NDR64"}[ndr64], func(t *testing.T) {
			var mu sync.Mutex
			var syntaxes []ndr.Syntax
			h := HandlerFunc(func(ctx context.Context, c *Call) ([]byte, error) {
				mu.Lock()
				syntaxes = append(syntaxes, c.Syntax)
				mu.Unlock()
				return bytes.Clone(c.Stub), nil
			})
			_, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Opnums: 10, Handler: h})
			_, port, _ := net.SplitHostPort(addr)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			arg := "0"
			if ndr64 {
				arg = "1"
			}
			out, stderr, err := peertest.RunPython(t, ctx, impacketEcho, port, testIface.UUID.String(), arg)
			if err != nil {
				t.Fatalf("impacket: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
			}
			wantSyntax := ndr.NDR20UUID.String()
			if ndr64 {
				wantSyntax = ndr.NDR64UUID.String()
			}
			if !strings.Contains(out, "syntax "+wantSyntax) || strings.Count(out, "echo ") != 8 ||
				!strings.Contains(out, "fault") || !strings.Contains(out, "nca_s_op_rng_error") {
				t.Fatalf("impacket output:\n%s\nstderr:\n%s", out, stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range syntaxes {
				if (s == ndr.NDR64) != ndr64 {
					t.Fatalf("handler saw %v", s)
				}
			}
		})
	}
}
