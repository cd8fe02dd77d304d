package dcom

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

type seededReader struct{ r *rand.ChaCha8 }

func (s seededReader) Read(p []byte) (int, error) { return s.r.Read(p) }

type nopObject struct{}

func (nopObject) Invoke(context.Context, *Call) error { return nil }

var testIID = ndr.MustGUID("e8fb8620-588f-11d2-9d61-00c04f79c5fe")

func newTestTable() (*table, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	return newTable(clk.now, seededReader{rand.NewChaCha8([32]byte{1})}, 120*time.Second), clk
}

func TestTablePingedObjectSurvivesUnpingedIsReleased(t *testing.T) {
	tb, clk := newTestTable()
	class := &Class{IIDs: []ndr.GUID{testIID}}
	pinged, _ := tb.export(nopObject{}, class, []ndr.GUID{testIID}, 1)
	tb.export(nopObject{}, class, []ndr.GUID{testIID}, 1)
	set, err := tb.complexPing(0, 1, []uint64{pinged}, nil)
	if err != nil || set == 0 {
		t.Fatalf("complexPing: %d %v", set, err)
	}
	for i := 0; i < 5; i++ { // 10 minutes of pings every 2 minutes
		clk.advance(120 * time.Second)
		if err := tb.simplePing(set); err != nil {
			t.Fatal(err)
		}
		tb.sweep()
	}
	if tb.count() != 1 {
		t.Fatalf("%d objects left, want only the pinged one", tb.count())
	}
	if _, ok := tb.objects[pinged]; !ok {
		t.Fatal("the pinged object was released")
	}
	clk.advance(3 * 120 * time.Second) // pings stop: set and object expire
	if gone := tb.sweep(); len(gone) != 1 || tb.count() != 0 {
		t.Fatalf("after pings stopped: released %d, %d left", len(gone), tb.count())
	}
	if err := tb.simplePing(set); !errors.Is(err, ErrUnknownSet) {
		t.Fatalf("ping of an expired set: %v", err)
	}
}

func TestTableCallsKeepObjectAlive(t *testing.T) {
	tb, clk := newTestTable()
	_, ipids := tb.export(nopObject{}, &Class{IIDs: []ndr.GUID{testIID}}, []ndr.GUID{testIID}, 1)
	for i := 0; i < 4; i++ {
		clk.advance(200 * time.Second)
		if _, _, _, err := tb.lookup(ipids[0]); err != nil {
			t.Fatal(err)
		}
		tb.sweep()
	}
	if tb.count() != 1 {
		t.Fatal("an object in use was released")
	}
}

func TestTableRefCounting(t *testing.T) {
	tb, _ := newTestTable()
	class := &Class{IIDs: []ndr.GUID{testIID}}
	_, ipids := tb.export(nopObject{}, class, []ndr.GUID{IID_IUnknown}, 5)
	_, qi, ok, err := tb.queryInterface(ipids[0], 1, []ndr.GUID{testIID, ndr.MustGUID("00000001-0000-0000-c000-000000000046")})
	if err != nil || !ok[0] || ok[1] {
		t.Fatalf("QI: %v %v", ok, err)
	}
	if obj, err := tb.release(ipids[0], 10); err != nil || obj != nil { // clamps at 0, QI'd interface still holds a ref
		t.Fatalf("release: %v %v", obj, err)
	}
	if err := tb.addRef(qi[0], 2); err != nil {
		t.Fatal(err)
	}
	if obj, _ := tb.release(qi[0], 3); obj == nil || tb.count() != 0 {
		t.Fatal("object not released when its last reference went")
	}
	if _, err := tb.release(qi[0], 1); !errors.Is(err, ErrUnknownIPID) {
		t.Fatalf("release after free: %v", err)
	}
}

func TestTableComplexPingRules(t *testing.T) {
	tb, _ := newTestTable()
	oid, _ := tb.export(nopObject{}, &Class{}, nil, 0)
	set, err := tb.complexPing(0, 5, []uint64{oid, 42}, nil)
	if !errors.Is(err, ErrUnknownOID) || set == 0 {
		t.Fatalf("unknown OID: set %d err %v", set, err)
	}
	if _, err := tb.complexPing(set, 3, nil, []uint64{oid}); err != nil { // stale sequence: no-op
		t.Fatal(err)
	}
	if tb.objects[oid].sets != 1 {
		t.Fatal("a stale ComplexPing changed the set")
	}
	if _, err := tb.complexPing(7777, 6, nil, nil); !errors.Is(err, ErrUnknownSet) {
		t.Fatalf("unknown set: %v", err)
	}
}
