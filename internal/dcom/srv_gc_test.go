package dcom

import (
	"testing"
	"time"
)

// setPingedAt reports whether a ping set holding oid was pinged at time at.
func (t *table) setPingedAt(oid uint64, at time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.sets {
		if _, ok := s.oids[oid]; ok && s.last.Equal(at) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPingAndGarbageCollection: with an injectable server clock, an object
// whose client pings survives, one never pinged is released (and closed)
// after PingTimeoutPeriods periods, and so is the pinged one once its
// pings stop.
func TestPingAndGarbageCollection(t *testing.T) {
	const period = time.Second // server's notion, on the fake clock
	f := startServer(t, func(c *ServerConfig) { c.PingPeriod, c.SweepInterval = period, time.Hour })
	ctx := testCtx(t)
	pinged := f.clientConfig(testUser, false)
	pinged.PingPeriod = 30 * time.Millisecond // real time
	a, err := Activate(ctx, pinged, CLSID_Echo, IID_IEcho)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Activate(ctx, f.clientConfig(testUser, false), CLSID_Echo, IID_IEcho) // no pings
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ComplexPing adding the OID", func() bool { return f.srv.tab.setPingedAt(a.OID(), f.clock.now()) })
	for i := 0; i < 2; i++ {
		f.clock.advance(2 * period)
		waitFor(t, "SimplePing", func() bool { return f.srv.tab.setPingedAt(a.OID(), f.clock.now()) })
		f.srv.collect()
	}
	// 4 periods: b expired, a kept alive by its pings.
	if f.srv.tab.count() != 1 || f.echo.closed.Load() != 1 {
		t.Fatalf("after 4 periods: %d objects, %d closed; want 1 and 1", f.srv.tab.count(), f.echo.closed.Load())
	}
	if _, err := echo(ctx, b, 1); err == nil {
		t.Fatal("call on a collected object succeeded")
	} else {
		wantFault(t, err, uint32(RPC_E_DISCONNECTED))
	}
	if y, err := echo(ctx, a, 1); err != nil || y != 2 {
		t.Fatalf("pinged object: %d %v", y, err)
	}
	a.s.ping.close() // pings stop, the reference is not released
	a.s.ping = nil
	f.clock.advance(PingTimeoutPeriods * period)
	if n := f.srv.collect(); n != 1 || f.srv.tab.count() != 0 || f.echo.closed.Load() != 2 {
		t.Fatalf("after pings stopped: released %d, %d left, %d closed", n, f.srv.tab.count(), f.echo.closed.Load())
	}
	a.s.conn.Close()
	b.s.conn.Close()
}
