package dcom

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

// Garbage-collection timing ([MS-DCOM] 3.1.2.2, 3.2.6.1): clients ping
// every period, and a set (or an object never pinged nor called) expires
// after PingTimeoutPeriods periods without a ping.
const (
	DefaultPingPeriod  = 120 * time.Second
	PingTimeoutPeriods = 3
)

// Table errors, mapped to the statuses of [MS-DCOM] 3.1.2.5.1 and 3.1.1.5.6.
var (
	ErrUnknownIPID = errors.New("dcom: unknown IPID")
	ErrUnknownSet  = errors.New("dcom: unknown ping set")
	ErrUnknownOID  = errors.New("dcom: unknown OID")
)

// exported is one activated object: its OID, its interfaces' IPIDs, and
// when it last saw a call or a ping.
type exported struct {
	oid   uint64
	obj   Object
	class *Class
	ipids map[ndr.GUID]ndr.GUID // IID -> IPID
	last  time.Time
	sets  int // ping sets that hold this OID
}

type ipidEntry struct {
	obj  *exported
	iid  ndr.GUID
	refs uint32 // public references held by clients
}

type pingSet struct {
	oids map[uint64]struct{}
	last time.Time
	seq  uint16
}

// table is the object exporter's state ([MS-DCOM] 3.1.1.6.2): OXID,
// objects by OID, interfaces by IPID, and ping sets. Safe for concurrent use.
type table struct {
	mu      sync.Mutex
	now     func() time.Time
	rand    io.Reader
	period  time.Duration
	oxid    uint64
	remUnk  ndr.GUID // ipidRemUnknown
	objects map[uint64]*exported
	ipids   map[ndr.GUID]*ipidEntry
	sets    map[uint64]*pingSet
}

func newTable(now func() time.Time, rnd io.Reader, period time.Duration) *table {
	if now == nil {
		now = time.Now
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	if period <= 0 {
		period = DefaultPingPeriod
	}
	t := &table{now: now, rand: rnd, period: period,
		objects: map[uint64]*exported{}, ipids: map[ndr.GUID]*ipidEntry{}, sets: map[uint64]*pingSet{}}
	t.oxid = t.id64()
	t.remUnk = t.guid()
	return t
}

func (t *table) id64() uint64 {
	var b [8]byte
	for {
		if _, err := io.ReadFull(t.rand, b[:]); err != nil {
			panic("dcom: randomness source failed: " + err.Error())
		}
		if v := binary.LittleEndian.Uint64(b[:]); v != 0 {
			return v
		}
	}
}

func (t *table) guid() ndr.GUID {
	var g ndr.GUID
	binary.LittleEndian.PutUint64(g[:8], t.id64())
	binary.LittleEndian.PutUint64(g[8:], t.id64())
	return g
}

// export registers obj and gives each of iids an IPID holding refs
// public references. It returns the OID and the IPIDs, in iids' order.
func (t *table) export(obj Object, class *Class, iids []ndr.GUID, refs uint32) (uint64, []ndr.GUID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := &exported{oid: t.id64(), obj: obj, class: class, ipids: map[ndr.GUID]ndr.GUID{}, last: t.now()}
	t.objects[e.oid] = e
	out := make([]ndr.GUID, len(iids))
	for i, iid := range iids {
		out[i] = t.addIPID(e, iid, refs)
	}
	return e.oid, out
}

// addIPID returns the IPID of iid on e, creating it, and adds refs.
func (t *table) addIPID(e *exported, iid ndr.GUID, refs uint32) ndr.GUID {
	ipid, ok := e.ipids[iid]
	if !ok {
		ipid = t.guid()
		e.ipids[iid] = ipid
		t.ipids[ipid] = &ipidEntry{obj: e, iid: iid}
	}
	t.ipids[ipid].refs += refs
	return ipid
}

// lookup finds the interface behind ipid and records activity on its object.
func (t *table) lookup(ipid ndr.GUID) (Object, ndr.GUID, *Class, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ent, ok := t.ipids[ipid]
	if !ok {
		return nil, ndr.GUID{}, nil, ErrUnknownIPID
	}
	ent.obj.last = t.now()
	return ent.obj.obj, ent.iid, ent.obj.class, nil
}

// queryInterface returns (IPID, true) for every iid the object behind
// ipid implements, with refs references each ([MS-DCOM] 3.1.1.5.6.1.1).
func (t *table) queryInterface(ipid ndr.GUID, refs uint32, iids []ndr.GUID) (oid uint64, res []ndr.GUID, ok []bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ent, found := t.ipids[ipid]
	if !found {
		return 0, nil, nil, ErrUnknownIPID
	}
	e := ent.obj
	e.last = t.now()
	res, ok = make([]ndr.GUID, len(iids)), make([]bool, len(iids))
	for i, iid := range iids {
		if implements(e.class, iid) {
			res[i], ok[i] = t.addIPID(e, iid, refs), true
		}
	}
	return e.oid, res, ok, nil
}

// implements reports whether class c answers QueryInterface for iid.
func implements(c *Class, iid ndr.GUID) bool {
	if iid == IID_IUnknown {
		return true
	}
	for _, x := range c.IIDs {
		if x == iid {
			return true
		}
	}
	return false
}

// addRef adds public references to ipid ([MS-DCOM] 3.1.1.5.6.1.2).
func (t *table) addRef(ipid ndr.GUID, refs uint32) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	ent, ok := t.ipids[ipid]
	if !ok {
		return ErrUnknownIPID
	}
	ent.refs += refs
	ent.obj.last = t.now()
	return nil
}

// release drops public references, clamping at zero; an object whose
// interfaces all reach zero is released ([MS-DCOM] 3.1.1.5.6.1.3).
func (t *table) release(ipid ndr.GUID, refs uint32) (Object, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ent, ok := t.ipids[ipid]
	if !ok {
		return nil, ErrUnknownIPID
	}
	ent.refs -= min(refs, ent.refs)
	for _, id := range ent.obj.ipids {
		if t.ipids[id].refs > 0 {
			return nil, nil
		}
	}
	t.drop(ent.obj)
	return ent.obj.obj, nil
}

func (t *table) drop(e *exported) {
	for _, id := range e.ipids {
		delete(t.ipids, id)
	}
	delete(t.objects, e.oid)
}

// complexPing creates (setID 0) or updates a ping set ([MS-DCOM]
// 3.1.2.5.1.3). A request older than the set's sequence is a no-op.
func (t *table) complexPing(setID uint64, seq uint16, add, del []uint64) (uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	s, ok := t.sets[setID]
	switch {
	case setID == 0:
		s, setID = &pingSet{oids: map[uint64]struct{}{}}, t.id64()
		t.sets[setID] = s
	case !ok:
		return 0, ErrUnknownSet
	}
	s.last = now
	if seq < s.seq {
		return setID, nil
	}
	s.seq = seq
	var unknown error
	for _, oid := range add {
		e, ok := t.objects[oid]
		if !ok {
			unknown = ErrUnknownOID
			continue
		}
		if _, dup := s.oids[oid]; !dup {
			s.oids[oid] = struct{}{}
			e.sets++
		}
		e.last = now
	}
	for _, oid := range del {
		if _, in := s.oids[oid]; in {
			delete(s.oids, oid)
			if e, ok := t.objects[oid]; ok {
				e.sets--
			}
		}
	}
	return setID, unknown
}

// simplePing refreshes a set and its objects ([MS-DCOM] 3.1.2.5.1.2).
func (t *table) simplePing(setID uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sets[setID]
	if !ok {
		return ErrUnknownSet
	}
	now := t.now()
	s.last = now
	for oid := range s.oids {
		if e, ok := t.objects[oid]; ok {
			e.last = now
		}
	}
	return nil
}

// sweep expires ping sets not pinged for PingTimeoutPeriods periods and
// releases objects that no live set holds and that saw no call or ping
// in that time ([MS-DCOM] 3.1.2.6). It returns the released objects.
func (t *table) sweep() []Object {
	t.mu.Lock()
	defer t.mu.Unlock()
	limit := time.Duration(PingTimeoutPeriods) * t.period
	now := t.now()
	for id, s := range t.sets {
		if now.Sub(s.last) >= limit {
			for oid := range s.oids {
				if e, ok := t.objects[oid]; ok {
					e.sets--
				}
			}
			delete(t.sets, id)
		}
	}
	var gone []Object
	for _, e := range t.objects {
		if e.sets == 0 && now.Sub(e.last) >= limit {
			t.drop(e)
			gone = append(gone, e.obj)
		}
	}
	return gone
}

// count is the number of live objects.
func (t *table) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.objects)
}

// dropAll releases every object (server shutdown) and returns them.
func (t *table) dropAll() []Object {
	t.mu.Lock()
	defer t.mu.Unlock()
	gone := make([]Object, 0, len(t.objects))
	for _, e := range t.objects {
		t.drop(e)
		gone = append(gone, e.obj)
	}
	t.sets = map[uint64]*pingSet{}
	return gone
}

// target is what an ORPC call on an IPID reaches.
type target struct {
	obj   Object
	iid   ndr.GUID
	class *Class
	oid   uint64
}

// resolve finds the interface behind ipid and records activity on its
// object ([MS-DCOM] 3.1.1.5.4, 3.1.2.6).
func (t *table) resolve(ipid ndr.GUID) (target, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ent, ok := t.ipids[ipid]
	if !ok {
		return target{}, false
	}
	ent.obj.last = t.now()
	return target{obj: ent.obj.obj, iid: ent.iid, class: ent.obj.class, oid: ent.obj.oid}, true
}
