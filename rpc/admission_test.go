package rpc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// rawBind dials addr from local IP (empty: any), binds testIface without
// authentication and returns the connection and the answer.
func rawBind(addr, local string) (net.Conn, *PDU, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	tr := transport{nc: nc}
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tr.writePDU(bindPDU(5, 0, nil), nil); err != nil {
		nc.Close()
		return nil, nil, err
	}
	p, _, _, err := tr.readFragment()
	nc.SetDeadline(time.Time{})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, p, nil
}

// requestFrags returns a first and a middle request fragment with n-byte
// stubs and no last-fragment flag: a call that never ends.
func requestFrags(t testing.TB, n int) (first, middle []byte) {
	t.Helper()
	mk := func(flags uint8) []byte {
		p := &PDU{Header: Header{Version: 5, Type: PTypeRequest, Flags: flags, CallID: 2},
			Body: &Request{AllocHint: 4 << 20, Stub: make([]byte, n)}}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return mk(FlagFirstFrag), mk(0)
}

// stream sends up to total stub bytes of one unfinished call and returns
// how many were written before the server closed.
func stream(nc net.Conn, first, middle []byte, total int) int {
	nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	sent := 0
	for i := 0; sent < total; i++ {
		b := middle
		if i == 0 {
			b = first
		}
		if _, err := nc.Write(b); err != nil {
			break
		}
		sent += len(b)
	}
	return sent
}

// heapSampler records the peak Go heap in use while running.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 { close(h.stop); <-h.done; return h.peak.Load() }

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func rssKiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

const mib = 1 << 20

// attackMemory binds n unauthenticated connections, streams perConn stub
// bytes of an unfinished call on each and holds them; it returns the Go
// heap growth at its peak and how many bytes the server accepted.
func attackMemory(t *testing.T, addr string, n, perConn int) (peak uint64, held int) {
	first, middle := requestFrags(t, 4096)
	base := heapInuse()
	h := sampleHeap()
	conns := make([]net.Conn, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var sent atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, p, err := rawBind(addr, "")
			if err != nil || p.Type != PTypeBindAck {
				t.Errorf("bind %d: %v %v", i, p, err)
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			sent.Add(int64(stream(nc, first, middle, perConn)))
		}()
	}
	wg.Wait()
	time.Sleep(300 * time.Millisecond) // let the server read what was sent
	for _, nc := range conns {
		// A connection the server closed reads EOF (or a fault); one it holds times out.
		nc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := nc.Read(make([]byte, 1)); err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			held++
		}
	}
	peak = h.Stop() - min(base, h.peak.Load())
	for _, nc := range conns {
		nc.Close()
	}
	return peak, held
}

// TestPreAuthMemory is point 1: unauthenticated streams of most of MaxStub
// cost the server a few fragments each, not 4 MiB.
func TestPreAuthMemory(t *testing.T) {
	const n = 100
	// Baseline, same run: the old behaviour (pre-auth limit = MaxStub),
	// 100 streams of 512 KiB held open.
	_, oldAddr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, PreAuthMaxStub: DefaultMaxStub})
	basePeak, baseHeld := attackMemory(t, oldAddr, n, 512<<10)
	perConnOld := float64(basePeak) / n
	// Hardened: 100 streams of 4 MiB.
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone})
	rss0 := rssKiB()
	peak, held := attackMemory(t, addr, n, 4*mib)
	rss1 := rssKiB()
	t.Logf("baseline (no pre-auth limit): 100 x 512 KiB held: Go heap +%.1f MiB (%d held), %.0f KiB per connection; "+
		"extrapolated to 100 x 4 MiB: +%.0f MiB",
		float64(basePeak)/mib, baseHeld, perConnOld/1024, perConnOld*8*n/mib)
	t.Logf("hardened: 100 x 4 MiB unauthenticated streams: Go heap peak +%.1f MiB, RSS %d -> %d MiB, %d connections still held; "+
		"ratio to the extrapolated baseline %.4f",
		float64(peak)/mib, rss0/1024, rss1/1024, held, float64(peak)/(perConnOld*8*n))
	if held != 0 {
		t.Errorf("%d connections over the pre-authentication limit were kept", held)
	}
	if baseHeld != n {
		t.Errorf("baseline held %d of %d", baseHeld, n)
	}
	if peak > 32*mib {
		t.Errorf("Go heap grew by %d MiB under 100 unauthenticated streams", peak/mib)
	}
	// A stream just under the pre-auth limit is held, at a small fixed cost.
	peak, held = attackMemory(t, addr, n, 3*4096)
	t.Logf("hardened: 100 x 12 KiB held (under the limit): Go heap +%.1f MiB, %d held", float64(peak)/mib, held)
	if held != n || peak > 16*mib {
		t.Errorf("under the limit: %d held, heap +%d MiB", held, peak/mib)
	}
}

// TestPreAuthStubLimitAuthenticated: an authenticated call may still use
// MaxStub, an unauthenticated one gets a fault.
func TestPreAuthStubLimit(t *testing.T) {
	ntlm := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "pw"}
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, Acceptors: []Acceptor{ntlm}})
	big := pattern(200 << 10)
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: ntlm, Level: AuthLevelPrivacy}})
	if out, err := c.Call(ctxT(t), pc, 0, nil, big); err != nil || len(out) != len(big) {
		t.Fatalf("authenticated 200 KiB call: %v", err)
	}
	c2 := dial(t, addr, nil)
	pc2 := mustBind(t, c2, testIface, nil)
	if _, err := c2.Call(ctxT(t), pc2, 0, nil, pattern(10<<10)); err != nil {
		t.Fatalf("unauthenticated 10 KiB call: %v", err)
	}
	_, err := c2.Call(ctxT(t), pc2, 0, nil, big)
	if fe := faultStatus(t, err); fe.Status != StatusAccessDenied {
		t.Fatalf("unauthenticated 200 KiB call: %+v", fe)
	}
}

func raiseNoFile(t *testing.T) uint64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		t.Fatal(err)
	}
	old := r.Cur
	r.Cur = r.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		t.Logf("raising RLIMIT_NOFILE: %v", err)
		return old
	}
	t.Cleanup(func() { r.Cur = old; syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r) })
	return r.Max
}

// adminRounds dials from local, authenticates as an administrator and
// makes one call, rounds times; it returns the mean latency.
func adminRounds(t *testing.T, addr, local string, prov *fakeProvider, rounds int) time.Duration {
	t.Helper()
	var total time.Duration
	for i := range rounds {
		start := time.Now()
		nc, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}).Dial("tcp", addr)
		if err != nil {
			t.Fatalf("admin round %d: dial: %v", i, err)
		}
		c := NewConn(nc, nil)
		pc, err := c.Bind(ctxT(t), testIface, &BindOptions{Auth: &AuthOptions{Initiator: prov, Level: AuthLevelPrivacy}})
		if err != nil {
			t.Fatalf("admin round %d: bind: %v", i, err)
		}
		if _, err := c.Call(ctxT(t), pc, 0, nil, []byte("status")); err != nil {
			t.Fatalf("admin round %d: call: %v", i, err)
		}
		total += time.Since(start)
		c.Close()
	}
	return total / time.Duration(rounds)
}

// TestAdminReserve is point 2: thousands of unauthenticated connections
// from many addresses never lock an administrator out.
func TestAdminReserve(t *testing.T) {
	lim := raiseNoFile(t)
	addrs, perAddr := 20, 100 // 2,000 connections
	if lim < 5000 {
		addrs, perAddr = 10, int(lim/40)
	}
	prov := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "pw", admin: true}
	s, addr := startServer(t, &ServerConfig{Acceptors: []Acceptor{prov}, HandshakeTimeout: time.Minute})
	const rounds = 10
	before := adminRounds(t, addr, "127.0.0.9", prov, rounds)

	var acked, naked, closed atomic.Int64
	var mu sync.Mutex
	var held []net.Conn
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for a := range addrs {
		for range perAddr {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				nc, p, err := rawBind(addr, fmt.Sprintf("127.0.2.%d", a+1))
				switch {
				case err != nil:
					closed.Add(1)
					return
				case p.Type == PTypeBindAck:
					acked.Add(1)
				case p.Type == PTypeBindNak:
					if p.Body.(*BindNak).Reason != NakLocalLimitExceeded {
						t.Errorf("bind_nak reason %d", p.Body.(*BindNak).Reason)
					}
					naked.Add(1)
				}
				mu.Lock()
				held = append(held, nc)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, nc := range held {
			nc.Close()
		}
	})
	st := s.AdmissionStats()
	during := adminRounds(t, addr, "127.0.0.9", prov, rounds)
	after := s.AdmissionStats()
	t.Logf("%d unauthenticated connections from %d addresses: %d bind_ack, %d bind_nak local_limit_exceeded, %d closed unanswered; "+
		"server holds %d pre-auth (limit %d), evicted %d",
		addrs*perAddr, addrs, acked.Load(), naked.Load(), closed.Load(), st.PreAuth, DefaultMaxConns-DefaultAdminReserve, st.Evicted)
	t.Logf("administrator: %d/%d logons+calls succeeded while held; mean latency %v vs %v before (ratio %.2f)",
		rounds, rounds, during.Round(time.Microsecond), before.Round(time.Microsecond), float64(during)/float64(before))
	if st.PreAuth > DefaultMaxConns-DefaultAdminReserve {
		t.Errorf("pre-auth pool %d over its limit", st.PreAuth)
	}
	if after.Evicted < st.Evicted {
		t.Errorf("evictions went backwards")
	}
	if addrs*perAddr > DefaultMaxConns && naked.Load() == 0 {
		t.Error("no connection over the limit got bind_nak")
	}
}

// TestAdmissionSlots checks the rules on a small server: a full pool
// refuses with bind_nak from the hoarding address, evicts for a fresh
// address, and an administrator's connection leaves the pool.
func TestAdmissionSlots(t *testing.T) {
	prov := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "pw", admin: true}
	s, addr := startServer(t, &ServerConfig{Acceptors: []Acceptor{prov}, MaxConns: 8, AdminReserve: 2, MaxConnsPerAddr: 100})
	var hoard []net.Conn
	for i := range 6 {
		nc, p, err := rawBind(addr, "127.0.3.1")
		if err != nil || p.Type != PTypeBindAck {
			t.Fatalf("conn %d: %v %v", i, p, err)
		}
		hoard = append(hoard, nc)
		defer nc.Close()
	}
	nc, p, err := rawBind(addr, "127.0.3.1")
	if err != nil {
		t.Fatal("7th from the same address: no answer:", err)
	}
	defer nc.Close()
	if n, ok := p.Body.(*BindNak); !ok || n.Reason != NakLocalLimitExceeded {
		t.Fatalf("7th from the same address: %+v, want bind_nak local_limit_exceeded", p)
	}
	expectClosed(t, nc)
	// A fresh address evicts the hoarder's oldest connection.
	c := dial2(t, addr, "127.0.3.2")
	pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: prov, Level: AuthLevelPrivacy}})
	expectClosed(t, hoard[0])
	if _, err := c.Call(ctxT(t), pc, 0, nil, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if st := s.AdmissionStats(); st.Admin != 1 || st.PreAuth != 5 || st.Evicted != 1 || st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
	// The administrator's slot came from the reserve: the pool has room
	// for one more from the hoarding address again.
	nc2, p2, err := rawBind(addr, "127.0.3.1")
	if err != nil || p2.Type != PTypeBindAck {
		t.Fatalf("after promotion: %v %v", p2, err)
	}
	nc2.Close()
	c.Close()
	waitFor(t, func() bool { return s.AdmissionStats().Admin == 0 })
}

func dial2(t *testing.T, addr, local string) *Conn {
	t.Helper()
	nc, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc, nil)
	t.Cleanup(func() { c.Close() })
	return c
}

func waitFor(t *testing.T, f func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if f() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached in 5s")
}

// TestCoCancelDoesNotKeepAlive: co_cancel every 100ms does not reset the
// idle clock.
func TestCoCancelDoesNotKeepAlive(t *testing.T) {
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, IdleTimeout: 300 * time.Millisecond, HandshakeTimeout: time.Minute})
	nc, p, err := rawBind(addr, "")
	if err != nil || p.Type != PTypeBindAck {
		t.Fatal(p, err)
	}
	defer nc.Close()
	cancel, _ := (&PDU{Header: hdr(PTypeCoCancel, 0), Body: &Empty{}}).Marshal()
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		if _, err := nc.Write(cancel); err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	nc.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadAll(nc); err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("connection kept alive by co_cancel")
	}
	if el := time.Since(start); el > 2900*time.Millisecond {
		t.Fatalf("closed only after %v", el)
	}
}

// TestHandshakeDeadline: an unauthenticated connection is closed
// HandshakeTimeout after accept however busy it is; an authenticated one
// is not.
func TestHandshakeDeadline(t *testing.T) {
	prov := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "pw"}
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelNone, Acceptors: []Acceptor{prov},
		HandshakeTimeout: 400 * time.Millisecond, IdleTimeout: time.Minute})
	anon := dial(t, addr, nil)
	apc := mustBind(t, anon, testIface, nil)
	authd := dial(t, addr, nil)
	pc := mustBind(t, authd, testIface, &BindOptions{Auth: &AuthOptions{Initiator: prov, Level: AuthLevelPrivacy}})
	var anonErr error
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		if _, err := authd.Call(ctxT(t), pc, 0, nil, []byte{1}); err != nil {
			t.Fatal("authenticated connection closed:", err)
		}
		if anonErr == nil {
			_, anonErr = anon.Call(ctxT(t), apc, 0, nil, []byte{1})
		}
	}
	if anonErr == nil {
		t.Fatal("unauthenticated connection outlived the handshake deadline")
	}
}

// TestRefusedCallEvent: a call below the required level reaches
// OnSecurityEvent with who, from where, mechanism and reason.
func TestRefusedCallEvent(t *testing.T) {
	prov := &fakeProvider{typ: AuthTypeNTLM, legs: 3, password: "pw"}
	evs := make(chan SecurityEvent, 4)
	_, addr := startServer(t, &ServerConfig{MinLevel: AuthLevelPrivacy, Acceptors: []Acceptor{prov},
		OnSecurityEvent: func(e SecurityEvent) { evs <- e }})
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, &BindOptions{Auth: &AuthOptions{Initiator: prov, Level: AuthLevelIntegrity}})
	if _, err := c.Call(ctxT(t), pc, 0, nil, []byte{1}); err == nil {
		t.Fatal("integrity call accepted by a privacy server")
	}
	select {
	case e := <-evs:
		if e.Kind != "call" || e.User != `TEST\alice` || e.Mechanism != "NTLM" || !strings.Contains(e.Reason, "downgrade") ||
			!strings.HasPrefix(e.Remote, "127.0.0.1:") {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}
