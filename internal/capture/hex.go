package capture

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Blob is one labelled byte string from a .hex file.
type Blob struct {
	Name    string
	Comment []string // the '#' comment lines directly above it, without "# "
	Line    int      // 1-based line number
	Bytes   []byte
}

// ParseHex parses the .hex format: lines "<name> <hex>", where the hex may be
// split by blanks over the rest of the line; '#' lines are comments and blank
// lines are ignored.
func ParseHex(data []byte) ([]Blob, error) {
	var (
		blobs   []Blob
		comment []string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			comment = nil
			continue
		case strings.HasPrefix(line, "#"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		rest = strings.Join(strings.Fields(rest), "")
		b, err := hex.DecodeString(rest)
		if err != nil {
			return blobs, fmt.Errorf("line %d (%s): %w", n, name, err)
		}
		blobs = append(blobs, Blob{Name: name, Comment: comment, Line: n, Bytes: b})
		comment = nil
	}
	return blobs, sc.Err()
}

// ReadHex reads a .hex file.
func ReadHex(path string) ([]Blob, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := ParseHex(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return b, nil
}

// OpenHex returns the blobs of the named golden .hex file, keyed by name.
// It skips like Open when the file is absent.
func OpenHex(t testing.TB, name string) map[string][]byte {
	t.Helper()
	blobs, err := ReadHex(Path(t, name))
	if err != nil {
		t.Fatalf("capture.OpenHex(%q): %v", name, err)
	}
	m := make(map[string][]byte, len(blobs))
	for _, b := range blobs {
		if _, dup := m[b.Name]; dup {
			t.Fatalf("capture.OpenHex(%q): duplicate name %q", name, b.Name)
		}
		m[b.Name] = b.Bytes
	}
	return m
}
