package rpc

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
)

// Request fragments are read into pooled buffers that go back to the
// pool once the call is answered; test binaries poison them. A handler
// that keeps Call.Stub past its return therefore sees 0xDB bytes here,
// which is what makes any such handler fail its own tests.
func TestReleasedStubIsPoisoned(t *testing.T) {
	if !poisonReleased {
		t.Fatal("poisoning is off in a test binary")
	}
	// The handler keeps the stub of the first call (wrong on purpose:
	// Stub is only valid during the call) and, in the second call on the
	// same connection, which the server reads only after releasing the
	// first call's buffer, reports what the kept slice holds now.
	var kept []byte
	seen := make(chan []byte, 1)
	h := HandlerFunc(func(_ context.Context, c *Call) ([]byte, error) {
		if kept != nil {
			seen <- bytes.Clone(kept)
		}
		kept = c.Stub
		return []byte("ok"), nil
	})
	_, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Handler: h})
	c := dial(t, addr, nil)
	pc := mustBind(t, c, testIface, nil)
	in, in2 := pattern(200), pattern(200)
	for i := range in2 {
		in2[i] ^= 0x5A
	}
	for _, stub := range [][]byte{in, in2} {
		if _, err := c.Call(ctxT(t), pc, 0, nil, stub); err != nil {
			t.Fatal(err)
		}
	}
	// Released: poisoned, or already reused for the second request (the
	// pool hands the same buffer back), never still the first request.
	got := <-seen
	if !bytes.Equal(got, bytes.Repeat([]byte{0xDB}, len(in))) && !bytes.Equal(got, in2) {
		t.Fatalf("stub kept past the call is %x…, want it poisoned or reused", got[:8])
	}
}

// Many connections at once, each checking that its stub is intact for
// the whole call (under -race this also checks no buffer is shared
// between live calls), at sizes that are pooled, fragmented, or both.
func TestPooledBuffersConcurrentCalls(t *testing.T) {
	h := HandlerFunc(func(_ context.Context, c *Call) ([]byte, error) {
		want := bytes.Clone(c.Stub)
		out := bytes.Clone(c.Stub)
		for range 3 {
			if !bytes.Equal(c.Stub, want) {
				return nil, fmt.Errorf("stub changed during the call")
			}
		}
		return out, nil
	})
	_, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Handler: h})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Dial(ctxT(t), addr, &ClientConfig{MaxFragment: 2048})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			pc, err := c.Bind(ctxT(t), testIface, nil)
			if err != nil {
				errs <- err
				return
			}
			for i := range 40 {
				in := pattern([]int{16, 700, 1900, 5000}[i%4])
				for j := range in {
					in[j] ^= byte(w*31 + i)
				}
				out, err := c.Call(ctxT(t), pc, 0, nil, in)
				if err != nil || !bytes.Equal(out, in) {
					errs <- fmt.Errorf("worker %d call %d (%d bytes): %v", w, i, len(in), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BindAll binds several interfaces in one bind, one security context for
// all; an interface the server does not know comes back nil.
func TestBindAll(t *testing.T) {
	other := SyntaxID{UUID: [16]byte{0xaa, 1}, Major: 1}
	unknown := SyntaxID{UUID: [16]byte{0xbb, 2}, Major: 1}
	tagged := func(tag byte) Handler {
		return HandlerFunc(func(_ context.Context, c *Call) ([]byte, error) { return append([]byte{tag}, c.Stub...), nil })
	}
	_, addr := startServer(t, nil, Interface{UUID: testIface.UUID, Major: 1, Handler: tagged('A')},
		Interface{UUID: other.UUID, Major: 1, Handler: tagged('B')})
	c := dial(t, addr, nil)
	pcs, err := c.BindAll(ctxT(t), []SyntaxID{testIface, unknown, other}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcs) != 3 || pcs[0] == nil || pcs[1] != nil || pcs[2] == nil || pcs[0].ID == pcs[2].ID {
		t.Fatalf("contexts %+v", pcs)
	}
	for i, want := range map[int]byte{0: 'A', 2: 'B'} {
		out, err := c.Call(ctxT(t), pcs[i], 0, nil, []byte("x"))
		if err != nil || string(out) != string([]byte{want, 'x'}) {
			t.Fatalf("call on context %d: %q %v", i, out, err)
		}
	}
	// The first interface must be accepted.
	c2 := dial(t, addr, nil)
	if _, err := c2.BindAll(ctxT(t), []SyntaxID{unknown, testIface}, nil); err == nil {
		t.Fatal("BindAll with a rejected first interface succeeded")
	}
}
