package main

import (
	"io"
	"strings"
	"testing"
)

// --pprof refuses anything but loopback, and serves on loopback.
func TestPprofLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:6060", ":6060", "example.com:6060", "nonsense"} {
		if stop, err := startPprof(addr, io.Discard); err == nil {
			stop()
			t.Errorf("--pprof %s accepted", addr)
		}
	}
	var out strings.Builder
	stop, err := startPprof("127.0.0.1:0", &out)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.Contains(out.String(), "http://127.0.0.1:") {
		t.Fatalf("announcement %q", out.String())
	}
}
