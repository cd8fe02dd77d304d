package iiss_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/peertest"
)

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustDisabled(t *testing.T, st *iiss.FileDisableState, want bool, when string) {
	t.Helper()
	d, err := st.Disabled()
	if err != nil || d != want {
		t.Fatalf("%s: Disabled() = %v, %v; want %v", when, d, err, want)
	}
}

// TestFileDisableWatch: while Watch runs, Disabled answers from memory;
// Disable/Enable (the control channel's path) take effect before they
// return, and a file edit by someone else is seen by the first call after
// the watch has handled its event.
func TestFileDisableWatch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, iiss.DisabledFileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := iiss.NewFileDisableState(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := st.Watch(ctx); err != nil {
		peertest.Skip(t, "no inotify here: %v", err)
	}
	if !st.Cached() {
		t.Fatal("not cached after Watch")
	}
	mustDisabled(t, st, true, "flag file there before Watch")

	// In-process flips (iissd disable/enable over internal/ctl): no wait.
	for range 20 {
		if err := st.Enable(); err != nil {
			t.Fatal(err)
		}
		mustDisabled(t, st, false, "right after Enable")
		if err := st.Disable(); err != nil {
			t.Fatal(err)
		}
		mustDisabled(t, st, true, "right after Disable")
	}
	if err := st.Enable(); err != nil {
		t.Fatal(err)
	}
	// Events of the in-process flips may still be queued; whatever order
	// they are handled in, each one looks at the file again.
	time.Sleep(20 * time.Millisecond)
	mustDisabled(t, st, false, "after the flips' events")

	// File edits while the server runs (touch / rm by an administrator).
	path := filepath.Join(dir, iiss.DisabledFileName)
	for _, step := range []struct {
		edit func() error
		want bool
	}{
		{func() error { return os.WriteFile(path, []byte("x"), 0o600) }, true},
		{func() error { return os.Remove(path) }, false},
		{func() error { return os.WriteFile(filepath.Join(dir, ".tmp"), nil, 0o600) }, false},
		{func() error { return os.Rename(filepath.Join(dir, ".tmp"), path) }, true},
		{func() error { return os.Rename(path, filepath.Join(dir, "was-disabled")) }, false},
	} {
		seen := st.WatchSeen()
		if err := step.edit(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the watch to see the edit", func() bool { return st.WatchSeen() > seen })
		mustDisabled(t, st, step.want, "first call after the watch saw the edit")
	}
	if !st.Cached() {
		t.Fatal("cache dropped while watching")
	}

	// The state directory going away ends the cache: every call looks.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cache to stop", func() bool { return !st.Cached() })
	mustDisabled(t, st, false, "directory gone")
}

// TestFileDisableWatchStops: when ctx ends, Disabled looks at the file
// again on every call.
func TestFileDisableWatchStops(t *testing.T) {
	dir := t.TempDir()
	st, err := iiss.NewFileDisableState(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := st.Watch(ctx); err != nil {
		peertest.Skip(t, "no inotify here: %v", err)
	}
	cancel()
	waitFor(t, "the cache to stop", func() bool { return !st.Cached() })
	if err := os.WriteFile(filepath.Join(dir, iiss.DisabledFileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mustDisabled(t, st, true, "edit after the watch stopped, no wait")
	if err := st.Enable(); err != nil {
		t.Fatal(err)
	}
	mustDisabled(t, st, false, "Enable after the watch stopped")
	if st.Cached() {
		t.Fatal("Enable turned the cache back on without a watch")
	}
}
