package iiss

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/fsnotify/fsnotify"
)

// DisableState is the local switch of [MS-IISS] 3.1.4.1-5: while it
// reports true, every method returns ERROR_RESOURCE_DISABLED and does
// nothing else.
type DisableState interface {
	Disabled() (bool, error)
}

// Enabled is a DisableState that is never disabled.
type Enabled struct{}

// Disabled implements DisableState.
func (Enabled) Disabled() (bool, error) { return false, nil }

// DisabledFileName is the flag file inside a state directory.
const DisabledFileName = "disabled"

// FileDisableState keeps the switch as a flag file, DIR/disabled, so it
// survives restarts and can be flipped by an administrator with touch/rm.
//
// Disabled looks at the file on every call unless [FileDisableState.Watch]
// runs: then it answers from a cached value that Disable and Enable set
// before they return, and that an inotify watch of DIR (fsnotify) refreshes
// by looking at the file again on every event that names it. A flip by a
// file edit is seen by the first call after the watch observes it; if the
// watch fails or DIR itself is removed or renamed, Disabled goes back to
// looking at the file on every call.
type FileDisableState struct {
	dir string

	mu       sync.Mutex // serializes Disable, Enable and the watch's refresh
	watching bool       // guarded by mu
	cached   atomic.Int32
	seen     atomic.Uint64 // events the watch has handled (tests)
}

const (
	cacheOff = iota
	cacheEnabled
	cacheDisabled
)

// NewFileDisableState uses dir, creating it (0700) if needed.
func NewFileDisableState(dir string) (*FileDisableState, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("iiss: state directory: %w", err)
	}
	return &FileDisableState{dir: dir}, nil
}

// Path is the flag file's path.
func (f *FileDisableState) Path() string { return filepath.Join(f.dir, DisabledFileName) }

// Disabled reports whether the flag file exists (from the cache while
// Watch runs).
func (f *FileDisableState) Disabled() (bool, error) {
	switch f.cached.Load() {
	case cacheEnabled:
		return false, nil
	case cacheDisabled:
		return true, nil
	}
	return f.lookup()
}

// lookup looks at the file.
func (f *FileDisableState) lookup() (bool, error) {
	_, err := os.Lstat(f.Path())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("iiss: disabled flag: %w", err)
	}
}

// Watch keeps Disabled's answer in memory, refreshed by an inotify watch
// of the state directory, until ctx ends. It returns once the watch is in
// place; an error means no watch (Disabled keeps looking at the file).
func (f *FileDisableState) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("iiss: watching the disable switch: %w", err)
	}
	if err := w.Add(f.dir); err != nil {
		w.Close()
		return fmt.Errorf("iiss: watching the disable switch: %w", err)
	}
	f.mu.Lock()
	f.watching = true
	f.storeIfWatched(f.lookup()) // after Add: a change from here on brings an event
	f.mu.Unlock()
	go func() {
		defer w.Close()
		defer func() {
			f.mu.Lock()
			f.watching = false
			f.cached.Store(cacheOff)
			f.mu.Unlock()
		}()
		path, dir := f.Path(), filepath.Clean(f.dir)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Name == dir && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
					return // the directory itself went away: stop caching
				}
				if ev.Name == path {
					f.refresh()
				}
				f.seen.Add(1)
			case err, ok := <-w.Errors:
				if !ok || !errors.Is(err, fsnotify.ErrEventOverflow) {
					return // stop caching
				}
				f.refresh() // events were lost: look again
				f.seen.Add(1)
			}
		}
	}()
	return nil
}

// refresh looks at the file and caches the answer; an unreadable switch
// is not cached (Disabled then looks every time and reports the error).
func (f *FileDisableState) refresh() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.storeIfWatched(f.lookup())
}

// storeIfWatched updates the cache while a watch keeps it; f.mu held.
func (f *FileDisableState) storeIfWatched(d bool, err error) {
	switch {
	case !f.watching:
		f.cached.Store(cacheOff)
	case err != nil:
		f.cached.Store(cacheOff)
	case d:
		f.cached.Store(cacheDisabled)
	default:
		f.cached.Store(cacheEnabled)
	}
}

// Disable creates the flag file atomically (write to a temporary file,
// fsync, rename, fsync the directory).
func (f *FileDisableState) Disable() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.disable(); err != nil {
		f.storeIfWatched(f.lookup())
		return err
	}
	f.storeIfWatched(true, nil)
	return nil
}

func (f *FileDisableState) disable() error {
	tmp, err := os.CreateTemp(f.dir, ".disabled-*")
	if err != nil {
		return fmt.Errorf("iiss: disable: %w", err)
	}
	_, werr := tmp.WriteString("IIisServiceControl disabled locally ([MS-IISS] 3.1.4)\n")
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("iiss: disable: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("iiss: disable: %w", err)
	}
	return f.syncDir()
}

// Enable removes the flag file; enabling what is enabled is not an error.
func (f *FileDisableState) Enable() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enable(); err != nil {
		f.storeIfWatched(f.lookup())
		return err
	}
	f.storeIfWatched(false, nil)
	return nil
}

func (f *FileDisableState) enable() error {
	if err := os.Remove(f.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("iiss: enable: %w", err)
	}
	return f.syncDir()
}

func (f *FileDisableState) syncDir() error {
	d, err := os.Open(f.dir)
	if err != nil {
		return fmt.Errorf("iiss: state directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("iiss: state directory sync: %w", err)
	}
	return nil
}
