package iiss

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
// Every call looks at the file; nothing is cached.
type FileDisableState struct{ dir string }

// NewFileDisableState uses dir, creating it (0700) if needed.
func NewFileDisableState(dir string) (*FileDisableState, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("iiss: state directory: %w", err)
	}
	return &FileDisableState{dir: dir}, nil
}

// Path is the flag file's path.
func (f *FileDisableState) Path() string { return filepath.Join(f.dir, DisabledFileName) }

// Disabled reports whether the flag file exists.
func (f *FileDisableState) Disabled() (bool, error) {
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

// Disable creates the flag file atomically (write to a temporary file,
// fsync, rename, fsync the directory).
func (f *FileDisableState) Disable() error {
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
