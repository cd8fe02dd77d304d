package main

import (
	"strings"
	"testing"
)

// TestE2EClassObjectActivation: the real iisctl binary takes the road of
// CoGetClassObject with --activation classobject (RemoteGetClassObject,
// IClassFactory::CreateInstance) for status, stop and start; a bad road
// is a usage error.
func TestE2EClassObjectActivation(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	r := admin(t, "status", d.Target(), "--activation", "classobject")
	wantCode(t, r, 0)
	if want := demoRows(d.Target(), "Running", "Running", "Stopped"); r.stdout != want {
		t.Fatalf("stdout:\n%q\nwant\n%q\n%s", r.stdout, want, r)
	}
	if n := strings.Count(d.Logs(), "class object activated"); n != 1 {
		t.Fatalf("iissd logged %d class-object activations, want 1\n%s", n, d.Logs())
	}
	wantCode(t, admin(t, "stop", d.Target(), "--activation", "classobject", "--no-force"), 0)
	waitStates(t, d, map[string]string{"WAS": "Stopped", "W3SVC": "Stopped"})
	wantCode(t, admin(t, "start", d.Target(), "--activation", "ClassObject"), 0)
	waitStates(t, d, map[string]string{"WAS": "Running", "W3SVC": "Running"})
	if n := strings.Count(d.Logs(), "class object activated"); n != 3 {
		t.Fatalf("iissd logged %d class-object activations, want 3", n)
	}
	r = admin(t, "status", d.Target(), "--activation", "bogus")
	wantCode(t, r, 2)
	if !strings.Contains(r.stderr, "instance or classobject") {
		t.Fatalf("stderr %q does not say what --activation takes", r.stderr)
	}
}
