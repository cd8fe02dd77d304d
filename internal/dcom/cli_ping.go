package dcom

import (
	"context"
	"sync"
	"time"

	"github.com/iisctl/iisctl/rpc"
)

// pinger keeps a client's references alive ([MS-DCOM] 3.2.6.1): every
// period it sends ComplexPing when its set changed (creating it with
// SETID 0 the first time) and SimplePing otherwise, to the OXID resolver
// the activation used, at cfg.Level (at least PKT_INTEGRITY, <93>).
// References released within the first period are never pinged.
type pinger struct {
	cfg  ClientConfig
	stop chan struct{}
	done chan struct{}

	mu             sync.Mutex
	oids           map[uint64]int // OID -> open references
	added, deleted map[uint64]bool
	setID          uint64
	seq            uint16
}

func newPinger(cfg ClientConfig) *pinger {
	p := &pinger{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{}),
		oids: map[uint64]int{}, added: map[uint64]bool{}, deleted: map[uint64]bool{}}
	go p.run()
	return p
}

func (p *pinger) add(oid uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oids[oid]++; p.oids[oid] == 1 {
		delete(p.deleted, oid)
		p.added[oid] = true
	}
}

func (p *pinger) remove(oid uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oids[oid]--; p.oids[oid] <= 0 {
		delete(p.oids, oid)
		if !p.added[oid] {
			p.deleted[oid] = true
		}
		delete(p.added, oid)
	}
}

func (p *pinger) close() {
	close(p.stop)
	<-p.done
}

func (p *pinger) run() {
	defer close(p.done)
	tick := time.NewTicker(p.cfg.PingPeriod)
	defer tick.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			pctx, c := context.WithTimeout(ctx, p.cfg.PingPeriod)
			if err := p.ping(pctx); err != nil && ctx.Err() == nil {
				p.cfg.Logger.Warn("dcom: ping failed", "host", p.cfg.Host, "err", err)
			}
			c()
		}
	}
}

// ping sends one ComplexPing or SimplePing on a new connection.
func (p *pinger) ping(ctx context.Context) error {
	p.mu.Lock()
	complex, set := p.setID == 0 || len(p.added) > 0 || len(p.deleted) > 0, p.setID
	if set == 0 && len(p.oids) == 0 {
		p.mu.Unlock()
		return nil
	}
	q := &ComplexPingRequest{SetID: set, SequenceNum: p.seq + 1, AddToSet: keys(p.added), DelFromSet: keys(p.deleted)}
	if set == 0 {
		q.AddToSet, q.DelFromSet = keys2(p.oids), nil
	}
	p.mu.Unlock()
	conn, pc, err := dialActivator(ctx, p.cfg, IID_IObjectExporter)
	if err != nil {
		return err
	}
	defer conn.Close()
	if !complex {
		var r StatusResponse
		err := invoke(ctx, conn, pc, opSimplePing, nil, &SimplePingRequest{SetID: set}, &r)
		if err == nil && r.Status == OR_INVALID_SET {
			p.reset()
		}
		return statusErr(err, r.Status)
	}
	var r ComplexPingResponse
	if err := invoke(ctx, conn, pc, opComplexPing, nil, q, &r); err != nil {
		return err
	}
	p.applied(q, r)
	return statusErr(nil, r.Status)
}

// applied records a ComplexPing's effect.
func (p *pinger) applied(q *ComplexPingRequest, r ComplexPingResponse) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Status == OR_INVALID_SET {
		p.setID = 0
		return
	}
	p.setID, p.seq = r.SetID, q.SequenceNum
	for _, o := range q.AddToSet {
		delete(p.added, o)
	}
	for _, o := range q.DelFromSet {
		delete(p.deleted, o)
	}
}

// reset forgets an expired set: the next ping creates a new one.
func (p *pinger) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setID, p.added, p.deleted = 0, map[uint64]bool{}, map[uint64]bool{}
}

func statusErr(err error, status uint32) error {
	if err != nil || status == 0 {
		return err
	}
	return &rpc.FaultError{Status: status}
}

func keys(m map[uint64]bool) []uint64 {
	if len(m) == 0 {
		return nil
	}
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func keys2(m map[uint64]int) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
