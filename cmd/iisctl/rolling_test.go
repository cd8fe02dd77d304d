package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseInventory(t *testing.T) {
	in := `# the fleet
web01
web02:1135   ; a comment
[east]
web03
web01
[west]
[::1]:2135
\\web04
`
	got, err := parseInventory(strings.NewReader(in), "hosts")
	if err != nil {
		t.Fatal(err)
	}
	want := []inventoryHost{
		{Target{"web01", 135}, []string{"east"}}, {Target{"web02", 1135}, nil},
		{Target{"web03", 135}, []string{"east"}}, {Target{"::1", 2135}, []string{"west"}}, {Target{"web04", 135}, []string{"west"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	sel, err := selectGroups(got, []string{"east"})
	if err != nil || !reflect.DeepEqual(sel, []Target{{"web01", 135}, {"web03", 135}}) {
		t.Errorf("--group east: %v %v", sel, err)
	}
	if _, err := selectGroups(got, []string{"eats"}); err == nil {
		t.Error("an unknown group must be an error")
	}
	for _, bad := range []string{"[]\n", "[a b]\n", "web01 web02\n", "h:0\n", "[east\n"} {
		if _, err := parseInventory(strings.NewReader(bad), "hosts"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestBatchSize(t *testing.T) {
	for _, c := range []struct {
		batch string
		n     int
		want  int
	}{{"", 10, 1}, {"3", 10, 3}, {"10%", 10, 1}, {"10%", 1000, 100}, {"25%", 10, 3}, {"100%", 7, 7}, {"1%", 5, 1}} {
		r := RollingOptions{Batch: c.batch}
		if got, err := r.batchSize(c.n); err != nil || got != c.want {
			t.Errorf("--batch %q of %d: %d %v, want %d", c.batch, c.n, got, err, c.want)
		}
	}
	for _, bad := range []string{"0", "-1", "x", "0%", "101%"} {
		r := RollingOptions{Batch: bad}
		if _, err := r.batchSize(10); err == nil {
			t.Errorf("--batch %q: no error", bad)
		}
	}
}

func TestCredsFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "creds")
	os.WriteFile(p, []byte("# accounts\n*.east.example  EAST\\ops  pass word\n@west  alice@WEST  pw2\nlegacy  admin  nthash:00112233445566778899aabbccddeeff\nsouth*  SOUTH\\bob  env:SOUTH_PW\n"), 0o644)
	env := map[string]string{"SOUTH_PW": "from env"}
	getenv := func(k string) string { return env[k] }
	if _, err := loadCredsFile(p, getenv); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 file: %v", err)
	}
	os.Chmod(p, 0o600)
	cf, err := loadCredsFile(p, getenv)
	if err != nil {
		t.Fatal(err)
	}
	cf.groups = map[Target][]string{{"w1", 135}: {"west"}}
	if c, ok := cf.lookup(Target{"web1.EAST.example", 135}); !ok || c.Domain != "EAST" || c.User != "ops" || c.Password != "pass word" {
		t.Errorf("east: %+v %v", c, ok)
	}
	if c, ok := cf.lookup(Target{"w1", 135}); !ok || c.Domain != "WEST" || c.User != "alice" || c.Password != "pw2" {
		t.Errorf("@west: %+v %v", c, ok)
	}
	if c, ok := cf.lookup(Target{"legacy", 135}); !ok || len(c.NTHash) != 16 || c.Password != "" {
		t.Errorf("nthash: %+v %v", c, ok)
	}
	if c, ok := cf.lookup(Target{"south1", 135}); !ok || c.Domain != "SOUTH" || c.Password != "from env" {
		t.Errorf("env: %+v %v", c, ok)
	}
	delete(env, "SOUTH_PW")
	if _, err := loadCredsFile(p, getenv); err == nil || !strings.Contains(err.Error(), "SOUTH_PW") {
		t.Errorf("unset variable: %v", err)
	}
	if _, ok := cf.lookup(Target{"other", 135}); ok || cf.covers([]Target{{"w1", 135}, {"other", 135}}) {
		t.Error("other matched")
	}
}

// healthServer answers 200 except for the hosts in bad (by the address
// the request came to), and records which hosts it was asked about.
type healthServer struct {
	mu    sync.Mutex
	asked []string
	bad   map[string]bool
	onAsk func() // called on each request
}

func (h *healthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.Host)
	h.mu.Lock()
	h.asked = append(h.asked, host)
	h.mu.Unlock()
	if h.onAsk != nil {
		h.onAsk()
	}
	if h.bad[host] {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func TestRollingRestartStubs(t *testing.T) {
	hs := &healthServer{bad: map[string]bool{"h4": true}}
	srv := httptest.NewServer(hs)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	e := newEnv(false)
	var hosts []string
	for _, h := range []string{"h1", "h2", "h3", "h4", "h5", "h6", "h7"} {
		e.hosts[h] = newStub(true)
		hosts = append(hosts, h)
	}
	e.dialErrs["h5"] = errors.New("must not be dialled")
	// Hosts resolve to the health server through the URL's port: the
	// {host} is sent as the Host header via a custom dial below.
	dir := t.TempDir()
	hf := filepath.Join(dir, "hosts")
	os.WriteFile(hf, []byte("[web]\n"+strings.Join(hosts, "\n")+"\n"), 0o644)
	healthHosts = func(host string) string { return "127.0.0.1" }
	defer func() { healthHosts = nil }()
	code := e.run(t, "iisctl", "restart", "-u", "admin", "--hosts-file", hf, "--group", "web", "--rolling", "--batch", "2",
		"--health", "http://{host}:"+port+"/healthz", "--health-retries", "1", "--health-interval", "10ms", "--json")
	if code != ExitFailed {
		t.Errorf("exit %d, want %d\n%s", code, ExitFailed, e.errOut)
	}
	var rep jsonRolling
	if err := json.Unmarshal(e.out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, e.out)
	}
	if rep.Completed || rep.OK != 3 || rep.Failed != 1 || rep.Skipped != 3 || rep.BatchSize != 2 || rep.Batches != 4 ||
		!strings.Contains(rep.Stopped, "after batch 2") {
		t.Errorf("report: %+v", rep)
	}
	for i, h := range rep.Hosts {
		wantStatus, wantBatch := "ok", i/2+1
		switch {
		case h.Host == "h4":
			wantStatus = "failed"
			if h.Health == nil || h.Health.OK || h.Health.Attempts != 2 || h.Health.Status != 503 || h.Step != "health" || h.ErrorKind != "unhealthy" {
				t.Errorf("h4: %+v %+v", h, h.Health)
			}
		case i >= 4:
			wantStatus, wantBatch = "skipped", 0
		}
		if h.Status != wantStatus || h.Batch != wantBatch {
			t.Errorf("%s: status %s batch %d, want %s %d", h.Host, h.Status, h.Batch, wantStatus, wantBatch)
		}
	}
	for _, h := range []string{"h5", "h6", "h7"} {
		if c := e.hosts[h].Calls(); c != "" {
			t.Errorf("%s was called: %s", h, c)
		}
	}
	if c := e.hosts["h1"].Calls(); !strings.HasPrefix(c, "stop ") || !strings.Contains(c, "; start ") {
		t.Errorf("h1 calls: %s", c)
	}
	if !strings.Contains(e.errOut.String(), "batch 1/4: restart h1 h2") || !strings.Contains(e.errOut.String(), "h4: failed (health:") {
		t.Errorf("progress:\n%s", e.errOut)
	}
}

func TestRollingUsage(t *testing.T) {
	for _, args := range [][]string{
		{"restart", "--batch", "2", "h"},
		{"restart", "--rolling", "--health", "ftp://{host}/", "h"},
		{"restart", "--rolling", "--health", "tcp://{host}", "h"},
		{"restart", "--rolling", "--max-failures", "0", "h"},
		{"restart", "--rolling", "--batch", "0", "h"},
		{"status", "--group", "x", "h"},
	} {
		e := newEnv(false)
		if code := e.run(t, append([]string{"iisctl"}, args...)...); code != ExitUsage {
			t.Errorf("%q: exit %d\n%s", args, code, e.errOut)
		}
	}
}

// Ctrl-C during a batch lets it finish (health checks included) and
// starts no other; the report says interrupted, the exit code is 130.
func TestRollingInterrupt(t *testing.T) {
	intr := make(chan os.Signal, 1)
	var once sync.Once
	hs := &healthServer{onAsk: func() { once.Do(func() { intr <- os.Interrupt; time.Sleep(50 * time.Millisecond) }) }}
	srv := httptest.NewServer(hs)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	healthHosts = func(string) string { return "127.0.0.1" }
	defer func() { healthHosts = nil }()
	e := newEnv(false)
	e.f.Interrupts = intr
	for _, h := range []string{"a", "b", "c", "d"} {
		e.hosts[h] = newStub(true)
	}
	code := e.run(t, "iisctl", "restart", "-u", "admin", "--rolling", "--batch", "2", "--health", "http://{host}:"+port+"/",
		"--json", "a", "b", "c", "d")
	if code != ExitInterrupted {
		t.Errorf("exit %d, want %d\n%s", code, ExitInterrupted, e.errOut)
	}
	var rep jsonRolling
	if err := json.Unmarshal(e.out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, e.out)
	}
	if !rep.Interrupted || rep.Completed || rep.OK != 2 || rep.Skipped != 2 || !strings.Contains(rep.Stopped, "before batch 2") {
		t.Errorf("report: %+v", rep)
	}
	if e.hosts["c"].Calls() != "" || e.hosts["d"].Calls() != "" {
		t.Error("batch 2 ran after Ctrl-C")
	}
	if !strings.Contains(e.errOut.String(), "finishing the current batch") {
		t.Errorf("stderr:\n%s", e.errOut)
	}
}

// On a terminal the roll draws a live line (batch, ok/failed/pending)
// and the hosts' service state changes above it.
func TestRollingLiveView(t *testing.T) {
	e := newEnv(true)
	e.f.IO.ErrIsTTY = true
	e.hosts["a"] = newStub(true)
	e.hosts["b"] = newStub(true)
	if code := e.run(t, "iisctl", "restart", "-u", "admin", "--rolling", "a", "b"); code != 0 {
		t.Fatalf("exit %d\n%s", code, e.errOut)
	}
	s := e.errOut.String()
	for _, want := range []string{"\r\x1b[K", "rolling restart: batch ", " pending", "batch 2/2: restart b", "a  web ", "b: restart ok"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the live view:\n%q", want, s)
		}
	}
	if !strings.Contains(e.out.String(), "HOST") || !strings.Contains(e.out.String(), "BATCH") {
		t.Errorf("table:\n%s", e.out)
	}
}
