package iiss_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/svc"
)

// listService answers Status with a list the test changes.
type listService struct{ list []iiss.ServiceStatus }

func (s *listService) Stop(context.Context, time.Duration, bool) error   { return nil }
func (s *listService) Start(context.Context, time.Duration) error        { return nil }
func (s *listService) Reboot(context.Context, time.Duration, bool) error { return nil }
func (s *listService) Kill(context.Context) error                        { return nil }
func (s *listService) Status(context.Context) ([]iiss.ServiceStatus, error) {
	return s.list, nil
}

// sizeConn records the dwBufferSize of every Status call.
type sizeConn struct {
	loopConn
	sizes []uint32
}

func (c *sizeConn) Call(ctx context.Context, op uint16, req func(*ndr.Writer), resp func(*ndr.Reader) error) error {
	w := ndr.NewWriter(c.syntax)
	req(w)
	if op == iiss.OpStatus {
		var in iiss.StatusRequest
		r := ndr.NewReader(w.Bytes(), c.syntax)
		r.Unmarshal(&in)
		if r.Err() == nil {
			c.sizes = append(c.sizes, in.BufferSize)
		}
	}
	return c.loopConn.Call(ctx, op, req, resp)
}

func services(n int) []iiss.ServiceStatus {
	var l []iiss.ServiceStatus
	for i := range n {
		l = append(l, iiss.ServiceStatus{Name: fmt.Sprintf("SVC%d", i), DisplayName: fmt.Sprintf("Service number %d", i),
			Type: svc.TypeOwnProcess, State: svc.Running})
	}
	return l
}

// A warm Client asks for about what the last answer needed, not the
// initial guess, and still gets a list that grew past its guess.
func TestStatusSizeHint(t *testing.T) {
	s := &listService{list: services(3)}
	c := &sizeConn{loopConn: loopConn{srv: iiss.NewObject(s, iiss.ObjectOptions{}), syntax: ndr.NDR20, iid: iiss.IID_IIisServiceControl}}
	cl := iiss.NewClient(c, iiss.StatusFetchOptions{})
	ctx := context.Background()
	need := uint32(len(iiss.EncodeStatusBlob(s.list)))
	for range 3 {
		got, err := cl.Status(ctx)
		if err != nil || len(got) != 3 {
			t.Fatalf("Status: %v, %d services", err, len(got))
		}
	}
	if c.sizes[0] != 4096 || c.sizes[1] >= 4096 || c.sizes[1] <= need || c.sizes[2] != c.sizes[1] {
		t.Fatalf("sizes %v; want 4096, then a hint above %d", c.sizes, need)
	}
	hint := c.sizes[1]
	s.list = services(40) // outgrows the hint
	c.sizes = nil
	got, err := cl.Status(ctx)
	if err != nil || len(got) != 40 || got[39].Name != "SVC39" {
		t.Fatalf("grown list: %v, %d services", err, len(got))
	}
	need = uint32(len(iiss.EncodeStatusBlob(s.list)))
	if !slices.Equal(c.sizes, []uint32{hint, need}) {
		t.Fatalf("sizes %v, want [%d %d]", c.sizes, hint, need)
	}
}

// The server caches the encoded STATUS_BLOB; every change of state, in
// place or by a new list, still reaches the next Status.
func TestStatusBlobCacheFollowsChanges(t *testing.T) {
	s := &listService{list: services(3)}
	c := &sizeConn{loopConn: loopConn{srv: iiss.NewObject(s, iiss.ObjectOptions{}), syntax: ndr.NDR20, iid: iiss.IID_IIisServiceControl}}
	cl := iiss.NewClient(c, iiss.StatusFetchOptions{})
	ctx := context.Background()
	check := func(when string) {
		t.Helper()
		got, err := cl.Status(ctx)
		if err != nil || !slices.Equal(got, s.list) {
			t.Fatalf("%s: Status = %v, %v; want %v", when, got, err, s.list)
		}
	}
	check("first")
	check("unchanged")
	s.list[1].State = svc.Stopped // the backend's slice changed in place
	check("state changed in place")
	s.list[1].CheckPoint = 7
	check("checkpoint changed")
	s.list[2].DisplayName = "Renamed"
	check("display name changed")
	s.list = append(slices.Clone(s.list[:1]), s.list[2:]...)
	check("one service fewer")
	s.list = nil
	check("no services")
	s.list = services(2)
	check("services again")
}
