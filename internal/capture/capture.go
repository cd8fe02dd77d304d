package capture

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Read parses the capture file at path.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return f, nil
}

// ReadPDUs returns the DCE/RPC PDUs of the capture file at path, ordered by
// stream, then by the frame at which each PDU became complete.
func ReadPDUs(path string) ([]PDU, error) {
	f, err := Read(path)
	if err != nil {
		return nil, err
	}
	return f.PDUs, nil
}

// RepoDir is the module's own capture directory, testdata/captures: the
// MIT and BSD captures, so that the golden tests run from a clone.
func RepoDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	d := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "captures")
	if fi, err := os.Stat(d); err == nil && fi.IsDir() {
		return d
	}
	return ""
}

// Dir returns the shared capture directory: the first "shared/captures"
// directory found in the working directory or one of its parents (the repo
// lives in /work/main and the captures in /work/shared/captures). It holds
// every capture, the GPL ones included. It returns "" when there is none.
func Dir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		c := filepath.Join(dir, "shared", "captures")
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Lookup returns the path of the named capture: in RepoDir, else in Dir;
// "" when neither has it.
func Lookup(name string) string {
	for _, d := range []string{RepoDir(), Dir()} {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Files lists the .pcap and .pcapng captures of RepoDir and Dir by name
// (RepoDir's copy first when both have one), sorted by name.
func Files() map[string]string {
	out := map[string]string{}
	for _, d := range []string{Dir(), RepoDir()} {
		if d == "" {
			continue
		}
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if n := e.Name(); strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng") {
				out[n] = filepath.Join(d, n)
			}
		}
	}
	return out
}

// Path returns the path of the named golden file (see Lookup). It skips
// the test when the file is absent, or fails it when
// IISCTL_REQUIRE_PEERS=1.
func Path(t testing.TB, name string) string {
	t.Helper()
	p := Lookup(name)
	if p == "" {
		skip(t, "golden capture %s absent: neither in testdata/captures nor in a shared/captures directory above %s", name, cwd())
		return ""
	}
	return p
}

// Open returns the DCE/RPC PDUs of the named golden capture (a file name in
// Dir). It skips the test when the file is absent (fails it when
// IISCTL_REQUIRE_PEERS=1) and fails it when the file does not parse.
func Open(t testing.TB, name string) []PDU {
	t.Helper()
	return OpenFile(t, name).PDUs
}

// OpenFile is like Open but returns the whole parsed capture.
func OpenFile(t testing.TB, name string) *File {
	t.Helper()
	p := Path(t, name)
	f, err := Read(p)
	if err != nil {
		t.Fatalf("capture.Open(%q): %v", name, err)
	}
	return f
}

func skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("IISCTL_REQUIRE_PEERS") == "1" {
		t.Fatalf(format+" (IISCTL_REQUIRE_PEERS=1)", args...)
	}
	t.Skipf(format, args...)
}

func cwd() string {
	d, _ := os.Getwd()
	return d
}
