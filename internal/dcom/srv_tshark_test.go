package dcom

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/rpc"
)

// TestTsharkDissectsActivationAndCall captures one activation, ORPC call,
// RemRelease and ping at PKT_INTEGRITY (stubs in clear) and checks that
// Wireshark's DCE/RPC and DCOM dissectors decode it without malformed
// packets or expert errors.
func TestTsharkDissectsActivationAndCall(t *testing.T) {
	peertest.Tshark(t)
	f := startServer(t, func(c *ServerConfig) { c.ObjectMinLevel = rpc.AuthLevelIntegrity })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, ps, _ := net.SplitHostPort(f.obj)
	objPort, _ := strconv.Atoi(ps)
	capt := peertest.StartCapture(t, ctx, f.port, objPort)
	cfg := f.clientConfig(testUser, false)
	cfg.Level = rpc.AuthLevelIntegrity
	cfg.PingPeriod = 20 * time.Millisecond
	itf, err := Activate(ctx, cfg, CLSID_Echo, IID_IEcho)
	if err != nil {
		t.Fatal(err)
	}
	if y, err := echo(ctx, itf, 41); err != nil || y != 42 {
		t.Fatalf("Echo: %d %v", y, err)
	}
	waitFor(t, "a ping", func() bool { return f.srv.tab.setPingedAt(itf.OID(), f.clock.now()) })
	if err := itf.Close(); err != nil {
		t.Fatal(err)
	}
	capt.Stop()
	capt.AssertWellFormed(t)
	// One request of each DCOM interface, dissected by its own dissector.
	for _, q := range []struct{ filter, what string }{
		{"isystemactivator.opnum == 4", "RemoteCreateInstance"},
		{"oxid.opnum == 2", "ComplexPing"},
		{"remunk.opnum == 5", "RemRelease"},
		{"dcom.that.flags", "ORPCTHAT"},
	} {
		if rows := capt.Fields(t, q.filter, "frame.number"); len(rows) == 0 {
			t.Errorf("tshark dissected no %s (%s)", q.what, q.filter)
		}
	}
}
