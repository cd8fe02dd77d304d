package rpc

import (
	"sync"
	"sync/atomic"
	"time"
)

// Admission: connection slots are bounded by authentication.
//
// Every accepted connection starts in the pre-authentication pool. The
// pool holds at most MaxConns-AdminReserve connections in total and
// MaxConnsPerAddr per remote IP. A connection leaves the pool when one of
// its security contexts completes for an administrator at the server's
// required level ([serverConn.promote]); from then on it counts only
// against MaxConns, so AdminReserve slots stay available to
// administrators however many unauthenticated connections are held.
//
// When the pool is full, a newcomer evicts the oldest pre-authentication
// connection of the address holding the most of them, provided that
// address holds more than the newcomer's own: an address can never be
// starved by another one hoarding slots, and one address cannot push out
// many others. Otherwise the newcomer is refused with the spec's answer:
// its bind gets bind_nak local_limit_exceeded ([MS-RPCE] 2.2.2.9, C706
// 12.6.4.5), any other first PDU the fault rpc_s_server_too_busy with
// did_not_execute, and the connection is closed. Refusals and evictions
// are summarised in at most one log line per refusalLogInterval.

// Admission defaults.
const (
	DefaultAdminReserve = 32
	// preAuthFragments is how many fragments of the negotiated size a
	// call without an authenticated context may reassemble.
	preAuthFragments = 4
	// refusers bounds the goroutines answering refused connections.
	refusers           = 32
	refusalReadTimeout = time.Second
	refusalLogInterval = 10 * time.Second
)

type admission struct {
	mu      sync.Mutex
	byAddr  map[string][]*serverConn // pre-auth connections per IP, oldest first
	nPre    int
	nAdmin  int
	refuseq chan struct{}

	refused, evicted atomic.Int64
	accepted, authed atomic.Int64 // for the connection summary
	lastSummary      time.Time    // guarded by logMu
	summaryAccepted  int64
	summaryAuthed    int64
	logMu            sync.Mutex
	lastLog          time.Time
	loggedRefused    int64
	loggedEvicted    int64
}

func newAdmission() *admission {
	return &admission{byAddr: map[string][]*serverConn{}, refuseq: make(chan struct{}, refusers)}
}

// AdmissionStats is a snapshot of the connection slots.
type AdmissionStats struct {
	PreAuth  int   // connections not (yet) authenticated as an administrator
	Admin    int   // connections authenticated as an administrator
	Refused  int64 // connections refused over a limit since start
	Evicted  int64 // pre-authentication connections evicted for a newcomer
	PerAddrs int   // distinct addresses holding pre-authentication connections
}

// AdmissionStats reports the current slot usage.
func (s *Server) AdmissionStats() AdmissionStats {
	a := s.adm
	a.mu.Lock()
	defer a.mu.Unlock()
	return AdmissionStats{PreAuth: a.nPre, Admin: a.nAdmin, Refused: a.refused.Load(),
		Evicted: a.evicted.Load(), PerAddrs: len(a.byAddr)}
}

// admit places c in the pre-authentication pool. It returns a connection
// to evict (already removed from the pool), or ok false when c is refused.
func (s *Server) admit(c *serverConn) (victim *serverConn, ok bool) {
	a, cfg := s.adm, &s.cfg
	a.mu.Lock()
	defer a.mu.Unlock()
	mine := len(a.byAddr[c.ip])
	if cfg.MaxConnsPerAddr > 0 && mine >= cfg.MaxConnsPerAddr {
		return nil, false
	}
	if cfg.MaxConns > 0 {
		pool := max(cfg.MaxConns-cfg.AdminReserve, 1)
		if a.nPre >= pool || a.nPre+a.nAdmin >= cfg.MaxConns {
			victim = a.victimFor(mine)
			if victim == nil {
				return nil, false
			}
			a.removeLocked(victim)
		}
	}
	a.byAddr[c.ip] = append(a.byAddr[c.ip], c)
	a.nPre++
	c.admitted = true
	return victim, true
}

// victimFor picks the oldest connection of the address with the most
// pre-authentication connections, if it holds more than mine.
func (a *admission) victimFor(mine int) *serverConn {
	var best []*serverConn
	for _, l := range a.byAddr {
		if len(l) > len(best) {
			best = l
		}
	}
	if len(best) <= mine {
		return nil
	}
	return best[0]
}

// removeLocked drops c from the pre-auth pool.
func (a *admission) removeLocked(c *serverConn) bool {
	l := a.byAddr[c.ip]
	for i, x := range l {
		if x == c {
			l = append(l[:i:i], l[i+1:]...)
			if len(l) == 0 {
				delete(a.byAddr, c.ip)
			} else {
				a.byAddr[c.ip] = l
			}
			a.nPre--
			return true
		}
	}
	return false
}

// release frees c's slot when it closes.
func (s *Server) release(c *serverConn) {
	a := s.adm
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.admin {
		a.nAdmin--
		c.admin = false
		return
	}
	if c.admitted {
		a.removeLocked(c)
		c.admitted = false
	}
}

// promoteAdmin moves c from the pre-auth pool to the administrators'.
func (s *Server) promoteAdmin(c *serverConn) {
	a := s.adm
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.admin || !a.removeLocked(c) {
		return
	}
	c.admitted, c.admin = false, true
	a.nAdmin++
}

// evict closes a pre-authentication connection that lost its slot.
func (s *Server) evict(c *serverConn) {
	s.adm.evicted.Add(1)
	c.log.Debug("rpc: unauthenticated connection evicted for a newcomer")
	c.nc.Close()
	s.noteRefusals()
}

// refuse answers a connection over a limit and closes it: a bind gets
// bind_nak local_limit_exceeded, anything else a fault; at most
// `refusers` connections are answered at once, the rest closed.
func (s *Server) refuse(c *serverConn) {
	s.adm.refused.Add(1)
	s.noteRefusals()
	select {
	case s.adm.refuseq <- struct{}{}:
	default:
		c.nc.Close()
		return
	}
	go func() {
		defer func() { <-s.adm.refuseq }()
		defer c.nc.Close()
		defer func() { recover() }()
		c.nc.SetReadDeadline(time.Now().Add(refusalReadTimeout))
		c.nc.SetWriteDeadline(time.Now().Add(refusalReadTimeout))
		p, _, _, err := c.t.readFragment()
		if err != nil {
			return
		}
		if p.Type == PTypeBind {
			c.nak(p.CallID, NakLocalLimitExceeded)
		} else {
			c.fault(p.CallID, 0, StatusServerTooBusy, true)
		}
		c.nc.SetWriteDeadline(time.Now().Add(refusalReadTimeout))
		if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
			tc.CloseWrite()
		}
	}()
}

// noteRefusals logs one summary line per refusalLogInterval while
// connections are being refused or evicted.
func (s *Server) noteRefusals() {
	a := s.adm
	a.logMu.Lock()
	defer a.logMu.Unlock()
	now := time.Now()
	if now.Sub(a.lastLog) < refusalLogInterval {
		return
	}
	r, e := a.refused.Load(), a.evicted.Load()
	st := s.AdmissionStats()
	since := "start"
	if !a.lastLog.IsZero() {
		since = a.lastLog.Format(time.RFC3339)
	}
	s.log.Warn("rpc: connections over the limits refused or evicted",
		"refused", r-a.loggedRefused, "evicted", e-a.loggedEvicted, "since", since,
		"pre_auth", st.PreAuth, "admin", st.Admin, "addresses", st.PerAddrs,
		"max_conns", s.cfg.MaxConns, "max_conns_per_addr", s.cfg.MaxConnsPerAddr, "admin_reserve", s.cfg.AdminReserve)
	a.lastLog, a.loggedRefused, a.loggedEvicted = now, r, e
}

// connSummaryInterval: per-connection lines are DEBUG; at INFO one
// summary per interval says how many connections came and authenticated.
const connSummaryInterval = time.Minute

// noteAccepted counts an admitted connection and, at most once per
// connSummaryInterval, logs the summary of the previous interval.
func (s *Server) noteAccepted() {
	a := s.adm
	a.accepted.Add(1)
	a.logMu.Lock()
	defer a.logMu.Unlock()
	now := time.Now()
	if a.lastSummary.IsZero() {
		a.lastSummary = now
		return
	}
	if now.Sub(a.lastSummary) < connSummaryInterval {
		return
	}
	acc, au := a.accepted.Load(), a.authed.Load()
	s.log.Info("rpc: connections", "accepted", acc-a.summaryAccepted, "authenticated", au-a.summaryAuthed,
		"refused_total", a.refused.Load(), "evicted_total", a.evicted.Load(), "since", a.lastSummary.Format(time.RFC3339))
	a.lastSummary, a.summaryAccepted, a.summaryAuthed = now, acc, au
}
