package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrLogonThrottled: a logon from an address (or for an account) with
// recent failures was refused without checking the credentials, because
// its turn would come too late or the account is locked for that address.
var ErrLogonThrottled = errors.New("rpc: logon throttled after repeated failures")

// LogonGate is what an acceptor calls around checking credentials, so
// that failed logons slow down per source address and per account. The
// RPC server puts one in the context it passes to SecurityContext.Step
// ([LogonGateFrom]); an acceptor that finds none checks at once.
type LogonGate interface {
	// Before waits for this attempt's turn, or refuses it (the error
	// wraps ErrLogonThrottled). domain and user are as the peer claimed.
	Before(ctx context.Context, domain, user string) error
	// After reports whether the credentials were correct.
	After(ok bool)
}

type logonGateKey struct{}

// WithLogonGate returns ctx carrying g.
func WithLogonGate(ctx context.Context, g LogonGate) context.Context {
	return context.WithValue(ctx, logonGateKey{}, g)
}

// LogonGateFrom returns the gate in ctx, or nil.
func LogonGateFrom(ctx context.Context) LogonGate {
	g, _ := ctx.Value(logonGateKey{}).(LogonGate)
	return g
}

// ThrottleConfig tunes a [LogonThrottle]. Zero fields take defaults.
type ThrottleConfig struct {
	// BaseDelay is the wait after the first failure; each further failure
	// doubles it (exponential delay). Default 250ms.
	BaseDelay time.Duration
	// MaxDelay caps one delay. Default 30s.
	MaxDelay time.Duration
	// MaxWait: an attempt whose turn is further away than this is
	// refused at once instead of waiting (it holds a connection while it
	// waits). Default 10s.
	MaxWait time.Duration
	// Window is the lockout window: failures older than this are
	// forgotten. Default 15m.
	Window time.Duration
	// Lockout: after this many failures for one account within Window,
	// attempts on it from addresses with failures of their own are
	// refused unchecked until the window passes. Default 20; negative
	// disables the lockout (the delays remain).
	Lockout int
	// SummaryInterval: at most one summary per interval, while failures
	// happen. Default 1m.
	SummaryInterval time.Duration
	// Now and Sleep are the clock; nil means the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// OnSummary receives each summary (also logged by the server), e.g.
	// for the audit trail.
	OnSummary func(ThrottleSummary)
}

func (c ThrottleConfig) withDefaults() ThrottleConfig {
	def := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.BaseDelay, 250*time.Millisecond)
	def(&c.MaxDelay, 30*time.Second)
	def(&c.MaxWait, 10*time.Second)
	def(&c.Window, 15*time.Minute)
	def(&c.SummaryInterval, time.Minute)
	if c.Lockout == 0 {
		c.Lockout = 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return c
}

// LogonThrottle slows failed logons down per source address and per
// account. Its rules:
//
//   - An address with no failure within Window is clean: its logons are
//     never delayed, whatever happens to the account it names, so an
//     attack elsewhere never delays other addresses or a correct logon
//     from a clean address.
//   - An address with n failures waits BaseDelay*2^(n-1) (at most
//     MaxDelay) between attempts, and for an account with m failures
//     (from anywhere) BaseDelay*2^(m-1) between attempts from such
//     addresses. Turns are reserved before the check, so concurrent
//     connections from one address are serialized, and the credentials
//     are checked only when the turn comes: a correct guess answers no
//     faster than a wrong one.
//   - A turn further than MaxWait away, or an account with Lockout
//     failures, refuses the attempt unchecked (ErrLogonThrottled).
//
// Failures older than Window are forgotten. Memory is bounded: records
// expire with the window and at most maxThrottleRecords are kept (the
// oldest are dropped).
type LogonThrottle struct {
	cfg ThrottleConfig

	mu    sync.Mutex
	addrs map[string]*failRecord
	accts map[string]*failRecord
	sum   ThrottleSummary
	last  time.Time
	log   func(ThrottleSummary)
}

const maxThrottleRecords = 65536

type failRecord struct {
	n     int       // failures within the window
	last  time.Time // last failure
	next  time.Time // earliest next turn
	fails int       // failures since the last summary
}

// ThrottleSummary is what happened since the previous summary.
type ThrottleSummary struct {
	Since, Until time.Time
	Failures     int      // wrong credentials checked
	Throttled    int      // attempts refused unchecked
	Delayed      int      // attempts that waited for their turn
	Addresses    []string // addresses with failures, most first ("ip (n)")
	Accounts     []string // accounts with failures, most first ("DOM\user (n)")
}

// String renders the summary on one line.
func (s ThrottleSummary) String() string {
	return fmt.Sprintf("%d failed logons, %d throttled, %d delayed; addresses: %s; accounts: %s",
		s.Failures, s.Throttled, s.Delayed, strings.Join(s.Addresses, ", "), strings.Join(s.Accounts, ", "))
}

// NewLogonThrottle returns a throttle with cfg (nil means defaults).
func NewLogonThrottle(cfg *ThrottleConfig) *LogonThrottle {
	var c ThrottleConfig
	if cfg != nil {
		c = *cfg
	}
	c = c.withDefaults()
	return &LogonThrottle{cfg: c, addrs: map[string]*failRecord{}, accts: map[string]*failRecord{}, last: c.Now()}
}

// Gate returns the gate for one attempt from ip.
func (t *LogonThrottle) Gate(ip string) LogonGate { return t.gate(ip) }

func (t *LogonThrottle) gate(ip string) *gate { return &gate{t: t, ip: ip} }

type gate struct {
	t       *LogonThrottle
	ip      string
	account string // as claimed, lower-cased
	user    string // DOMAIN\user as claimed
	checked bool   // After was called
	ok      bool
}

func (t *LogonThrottle) record(m map[string]*failRecord, k string, now time.Time) *failRecord {
	r := m[k]
	if r != nil && now.Sub(r.last) > t.cfg.Window && !now.Before(r.next) {
		delete(m, k)
		r = nil
	}
	return r
}

func (t *LogonThrottle) delay(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := t.cfg.BaseDelay
	for i := 1; i < n && d < t.cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, t.cfg.MaxDelay)
}

func accountKey(domain, user string) string {
	return strings.ToLower(domain + `\` + user)
}

func (g *gate) Before(ctx context.Context, domain, user string) error {
	t := g.t
	g.account, g.user = accountKey(domain, user), domain+`\`+user
	t.mu.Lock()
	now := t.cfg.Now()
	ar := t.record(t.addrs, g.ip, now)
	if ar == nil {
		t.mu.Unlock()
		return nil // a clean address is never delayed
	}
	cr := t.record(t.accts, g.account, now)
	turn := maxTime(now, ar.next)
	d := t.delay(ar.n)
	if cr != nil {
		if t.cfg.Lockout > 0 && cr.n >= t.cfg.Lockout {
			t.sum.Throttled++
			t.unlockAndSummarize(now)
			return fmt.Errorf("%w: account %s locked for addresses with failures (%d failures)", ErrLogonThrottled, g.account, cr.n)
		}
		turn = maxTime(turn, cr.next)
		d = max(d, t.delay(cr.n))
	}
	wait := turn.Sub(now)
	if wait > t.cfg.MaxWait {
		t.sum.Throttled++
		t.unlockAndSummarize(now)
		return fmt.Errorf("%w: next attempt from %s in %v", ErrLogonThrottled, g.ip, wait.Round(time.Millisecond))
	}
	ar.next = turn.Add(d)
	if cr != nil {
		cr.next = turn.Add(d)
	}
	if wait > 0 {
		t.sum.Delayed++
	}
	t.mu.Unlock()
	if wait > 0 {
		return t.cfg.Sleep(ctx, wait)
	}
	return nil
}

func (g *gate) After(ok bool) {
	g.checked, g.ok = true, ok
	if ok {
		return
	}
	t := g.t
	t.mu.Lock()
	now := t.cfg.Now()
	for _, x := range []struct {
		m map[string]*failRecord
		k string
	}{{t.addrs, g.ip}, {t.accts, g.account}} {
		r := t.record(x.m, x.k, now)
		if r == nil {
			if len(x.m) >= maxThrottleRecords {
				t.dropOldest(x.m)
			}
			r = &failRecord{}
			x.m[x.k] = r
		}
		r.n++
		r.fails++
		r.last = now
		r.next = maxTime(r.next, now.Add(t.delay(r.n)))
	}
	t.sum.Failures++
	t.unlockAndSummarize(now)
}

// unlockAndSummarize releases mu and, once per SummaryInterval while
// attempts fail or are throttled, emits the summary.
func (t *LogonThrottle) unlockAndSummarize(now time.Time) {
	var out *ThrottleSummary
	if now.Sub(t.last) >= t.cfg.SummaryInterval {
		s := t.summaryLocked(now)
		out = &s
	}
	t.mu.Unlock()
	if out != nil {
		t.emit(*out)
	}
}

func (t *LogonThrottle) dropOldest(m map[string]*failRecord) {
	var ok string
	var oldest time.Time
	for k, r := range m {
		if ok == "" || r.last.Before(oldest) {
			ok, oldest = k, r.last
		}
	}
	delete(m, ok)
}

// Flush returns the pending summary, if any failure happened since the
// last one, and passes it to OnSummary and the server log.
func (t *LogonThrottle) Flush() (ThrottleSummary, bool) {
	t.mu.Lock()
	if t.sum.Failures == 0 && t.sum.Throttled == 0 {
		t.mu.Unlock()
		return ThrottleSummary{}, false
	}
	s := t.summaryLocked(t.cfg.Now())
	t.mu.Unlock()
	t.emit(s)
	return s, true
}

func (t *LogonThrottle) summaryLocked(now time.Time) ThrottleSummary {
	s := t.sum
	s.Since, s.Until = t.last, now
	s.Addresses = topFails(t.addrs)
	s.Accounts = topFails(t.accts)
	t.sum, t.last = ThrottleSummary{}, now
	return s
}

func topFails(m map[string]*failRecord) []string {
	type kv struct {
		k string
		n int
	}
	var l []kv
	for k, r := range m {
		if r.fails > 0 {
			l = append(l, kv{k, r.fails})
			r.fails = 0
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].n > l[j].n || l[i].n == l[j].n && l[i].k < l[j].k })
	var out []string
	for i, x := range l {
		if i == 10 {
			out = append(out, fmt.Sprintf("and %d more", len(l)-10))
			break
		}
		out = append(out, fmt.Sprintf("%s (%d)", x.k, x.n))
	}
	return out
}

// setLogger makes the first server using t log its summaries.
func (t *LogonThrottle) setLogger(l *slog.Logger) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.log == nil {
		t.log = func(s ThrottleSummary) {
			l.Warn("rpc: failed logons", "summary", s.String(), "since", s.Since.Format(time.RFC3339))
		}
	}
}

func (t *LogonThrottle) emit(s ThrottleSummary) {
	t.mu.Lock()
	log := t.log
	t.mu.Unlock()
	if log != nil {
		log(s)
	}
	if t.cfg.OnSummary != nil {
		t.cfg.OnSummary(s)
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
