package main

// Issue 16: a rolling restart over a fleet of iissd endpoints. One iissd
// listens on every 127.x address (0.0.0.0 inside a network namespace the
// test owns), so 127.0.0.1..127.0.0.6 are six hosts to iisctl; another
// iissd listens on 127.0.1.1 (in-process) and one more, a process of its
// own, on 127.0.1.2. The health check of
// 127.0.0.4 fails: the roll stops at its batch, the later hosts are not
// touched, and the JSON report says so.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/peertest"
)

const (
	envFleetNetns  = "IISSD_TEST_FLEET_NETNS"  // set in the child that runs inside the namespace
	envFleetIisctl = "IISSD_TEST_FLEET_IISCTL" // the parent's iisctl binary
)

// privateNetns says whether this process' network namespace has only
// loopback (nstest's, or one this test made): binding 0.0.0.0 is then
// binding every 127.x address and nothing else.
func privateNetns() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, i := range ifs {
		if i.Name != "lo" {
			return false
		}
	}
	return true
}

// inOwnNetns runs the test again inside a new network namespace (root:
// unshare -n, loopback up) unless it already is in a private one; it
// returns true when the caller is the parent and should return.
func inOwnNetns(t *testing.T) bool {
	if privateNetns() {
		return false
	}
	if os.Getenv(envFleetNetns) != "" {
		t.Fatal("the child is not in a private network namespace")
	}
	if os.Geteuid() != 0 {
		peertest.Skip(t, "needs a private network namespace: run under nstest, or as root (unshare -n)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		peertest.Skip(t, "needs unshare (util-linux) or nstest")
	}
	cmd := exec.Command("unshare", "-n", "--", "sh", "-c", `ip link set lo up && exec "$@"`, "sh",
		os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envFleetNetns+"=1", envFleetIisctl+"="+iisctlBin(t))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s in a new network namespace: %v\n%s", t.Name(), err, out.String())
	}
	if strings.Contains(out.String(), "--- SKIP") {
		peertest.Skip(t, "skipped in the namespace:\n%s", out.String())
	}
	return true
}

// iissdProcess is an iissd demo running as a process of its own (the
// test binary as iissd).
type iissdProcess struct {
	Act, Site, State string
}

// startIissdProcess runs `iissd --demo` on ip as a separate process, its
// administrator testAdmin with testAdminPass, and waits until its site
// is up. It is stopped (SIGTERM) at cleanup.
func startIissdProcess(t *testing.T, ip string) *iissdProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	act := l.Addr().String()
	l.Close()
	p := &iissdProcess{Act: act, State: t.TempDir()}
	cmd := exec.Command(exe, "--demo", "--listen", act, "--object-listen", ip+":0", "--state", p.State)
	cmd.Env = append(os.Environ(), envRunAsIissd+"=1", "IISSD_CONFIG=", "IISSD_DEMO_PASSWORD="+testAdminPass)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	site := regexp.MustCompile(`web site on http://([^/]+)/`)
	deadline := time.Now().Add(30 * time.Second)
	for p.Site == "" {
		if m := site.FindStringSubmatch(out.String()); m != nil {
			p.Site = m[1]
			break
		}
		select {
		case <-exited:
			t.Fatalf("iissd --demo on %s exited:\n%s", act, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("iissd --demo on %s did not serve within 30s:\n%s", act, out.String())
		}
	}
	for {
		c, err := net.DialTimeout("tcp", p.Site, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the site of iissd --demo on %s is not up within 30s:\n%s", act, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// audited counts the successful calls of method in the process' audit trail.
func (p *iissdProcess) audited(t *testing.T, method string) int {
	b, err := os.ReadFile(filepath.Join(p.State, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "iiss audit" && m["method"] == method && m["result"] == "S_OK" {
			n++
		}
	}
	return n
}

// siteHealth answers /health for each host by connecting to its iissd's
// demo site (200 when it accepts, 503 when not); the hosts in broken
// answer 503 whatever the site does (an application that fails on one
// machine). The address a request came to names the host.
type siteHealth struct {
	sites  map[string]string // host address -> its demo site
	broken map[string]bool
	mu     sync.Mutex
	asked  []string
}

func (h *siteHealth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	host, _, _ := net.SplitHostPort(fmt.Sprint(la))
	h.mu.Lock()
	h.asked = append(h.asked, host)
	h.mu.Unlock()
	site, ok := h.sites[host]
	if !ok || h.broken[host] {
		http.Error(w, "unhealthy", http.StatusServiceUnavailable)
		return
	}
	c, err := net.DialTimeout("tcp", site, time.Second)
	if err != nil {
		http.Error(w, "site down", http.StatusServiceUnavailable)
		return
	}
	c.Close()
	fmt.Fprintln(w, "ok")
}

func TestRollingRestartFleet(t *testing.T) {
	if inOwnNetns(t) {
		return
	}
	// The iissd on every 127.x address, and two more on their own.
	var wide *demoServer
	var b *demoServer
	var c *iissdProcess
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		wide = startDemo(t, demoOptions{Activation: "0.0.0.0:0", Edit: func(cfg *Config) { cfg.Listen.Object = "0.0.0.0:0" }})
	}()
	on := func(ip string) demoOptions {
		return demoOptions{Activation: ip + ":0", Edit: func(cfg *Config) { cfg.Listen.Object = ip + ":0" }}
	}
	go func() { defer wg.Done(); b = startDemo(t, on("127.0.1.1")) }()
	go func() { defer wg.Done(); c = startIissdProcess(t, "127.0.1.2") }()
	wg.Wait()
	if wide == nil || b == nil || c == nil {
		t.FailNow()
	}
	_, wport, _ := net.SplitHostPort(wide.Act.String())
	hosts := []string{"127.0.0.1:" + wport, "127.0.0.2:" + wport, b.Act.String(), c.Act,
		"127.0.0.3:" + wport, "127.0.0.4:" + wport, "127.0.0.5:" + wport, "127.0.0.6:" + wport}
	hs := &siteHealth{sites: map[string]string{"127.0.1.1": b.Site, "127.0.1.2": c.Site},
		broken: map[string]bool{"127.0.0.4": true}}
	for i := 1; i <= 6; i++ {
		hs.sites[fmt.Sprintf("127.0.0.%d", i)] = wide.Site
	}
	hl, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	hsrv := &http.Server{Handler: hs, ReadHeaderTimeout: 5 * time.Second}
	go hsrv.Serve(hl)
	defer hsrv.Close()
	_, hport, _ := net.SplitHostPort(hl.Addr().String())

	dir := t.TempDir()
	hostsFile := filepath.Join(dir, "hosts")
	os.WriteFile(hostsFile, []byte("# the test fleet\n[other]\n127.0.9.9\n[fleet]\n"+strings.Join(hosts, "\n")+"\n"), 0o644)
	credsFile := filepath.Join(dir, "creds")
	os.WriteFile(credsFile, []byte("127.0.* "+testAdmin+" "+testAdminPass+"\n"), 0o600)

	bin := os.Getenv(envFleetIisctl)
	if bin == "" {
		bin = iisctlBin(t)
	}
	r := runBin(t, bin, nil, "restart", "--rolling", "--batch", "2", "--hosts-file", hostsFile, "--group", "fleet",
		"--credentials-file", credsFile, "--health", "http://{host}:"+hport+"/health", "--health-retries", "1",
		"--health-interval", "200ms", "--timeout", "20", "--json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (a failed health check)\n%s", r.code, r)
	}
	var rep struct {
		Completed bool   `json:"completed"`
		Stopped   string `json:"stopped"`
		BatchSize int    `json:"batch_size"`
		Batches   int    `json:"batches"`
		OK        int    `json:"ok"`
		Failed    int    `json:"failed"`
		Skipped   int    `json:"skipped"`
		Hosts     []struct {
			Host      string `json:"host"`
			Port      int    `json:"port"`
			Batch     int    `json:"batch"`
			Status    string `json:"status"`
			Step      string `json:"step"`
			ErrorKind string `json:"error_kind"`
			Health    *struct {
				Attempts int  `json:"attempts"`
				Status   int  `json:"status"`
				OK       bool `json:"ok"`
			} `json:"health"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, r)
	}
	if rep.Completed || rep.BatchSize != 2 || rep.Batches != 4 || rep.OK != 5 || rep.Failed != 1 || rep.Skipped != 2 ||
		!strings.Contains(rep.Stopped, "after batch 3") || len(rep.Hosts) != 8 {
		t.Fatalf("report: %+v\n%s", rep, r)
	}
	for i, h := range rep.Hosts {
		status, batch := "ok", i/2+1
		switch {
		case h.Host == "127.0.0.4":
			status = "failed"
			if h.Step != "health" || h.ErrorKind != "unhealthy" || h.Health == nil || h.Health.OK || h.Health.Status != 503 || h.Health.Attempts != 2 {
				t.Errorf("127.0.0.4: %+v %+v", h, h.Health)
			}
		case i >= 6:
			status, batch = "skipped", 0
		default:
			if h.Health == nil || !h.Health.OK || h.Health.Status != 200 {
				t.Errorf("%s: health %+v", h.Host, h.Health)
			}
		}
		if h.Status != status || h.Batch != batch {
			t.Errorf("%s:%d: %s in batch %d, want %s in %d", h.Host, h.Port, h.Status, h.Batch, status, batch)
		}
	}
	// What the servers did: the wide iissd restarted for 127.0.0.1-4 and
	// never for 5 and 6; b and c once each.
	count := func(d *demoServer, method string) (n int, from map[string]int) {
		from = map[string]int{}
		for _, a := range auditLines(t, d) {
			if a["method"] == method && a["result"] == "S_OK" {
				n++
				h, _, _ := net.SplitHostPort(fmt.Sprint(a["addr"]))
				from[h]++
			}
		}
		return n, from
	}
	if n, _ := count(wide, "Stop"); n != 4 {
		t.Errorf("the wide iissd stopped %d times, want 4", n)
	}
	if n, _ := count(wide, "Start"); n != 4 {
		t.Errorf("the wide iissd started %d times, want 4", n)
	}
	if s, _ := count(b, "Stop"); s != 1 {
		t.Errorf("%s stopped %d times, want 1", b.Act, s)
	}
	if s := c.audited(t, "Stop"); s != 1 {
		t.Errorf("the iissd process on %s stopped %d times, want 1", c.Act, s)
	}
	hs.mu.Lock()
	asked := strings.Join(hs.asked, " ")
	hs.mu.Unlock()
	if strings.Contains(asked, "127.0.0.5") || strings.Contains(asked, "127.0.0.6") {
		t.Errorf("skipped hosts were health-checked: %s", asked)
	}
	if !strings.Contains(r.stderr, "batch 3/4") || strings.Contains(r.stderr, "batch 4/4") {
		t.Errorf("progress:\n%s", r.stderr)
	}
	waitStates(t, wide, map[string]string{"W3SVC": "Running"})

	exporterOverFleet(t, bin, hostsFile, credsFile, hosts, b)
}

// exporterOverFleet runs `iisctl exporter` over the fleet: a round of
// Status probes on /metrics, then /probe of one host after its services
// were stopped, and /probe of a host outside the selected group refused.
func exporterOverFleet(t *testing.T, bin, hostsFile, credsFile string, hosts []string, b *demoServer) {
	addr := freeAddr(t)
	cmd := exec.Command(bin, "exporter", "--listen", addr, "--interval", "1h", "--timeout", "20s",
		"--hosts-file", hostsFile, "--group", "fleet", "--credentials-file", credsFile)
	cmd.Env = cleanEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("exporter exit: %v\n%s", err, out.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("the exporter did not stop on SIGINT")
		}
	}()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/metrics")
		if err == nil {
			resp.Body.Close()
			fams := scrape(t, base+"/metrics")
			if v, _ := metricValue(fams, "iisctl_exporter_rounds_total", nil); v >= 1 {
				for _, h := range hosts {
					if v, ok := metricValue(fams, "iisctl_probe_success", map[string]string{"target": h}); !ok || v != 1 {
						t.Errorf("iisctl_probe_success{target=%s} = %v %v", h, v, ok)
					}
					if v, ok := metricValue(fams, "iisctl_service_state", map[string]string{"target": h, "service": "W3SVC", "state": "running"}); !ok || v != 1 {
						t.Errorf("%s W3SVC running = %v %v", h, v, ok)
					}
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no probe round within 30s\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Stop b's services with the library, then probe b now.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := iiss.Dial(ctx, b.Act.String(), iiss.ClientConfig{Credentials: iiss.Credentials{User: testAdmin, Password: testAdminPass}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Stop(ctx, 20*time.Second, true); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, base+"/probe?target="+b.Act.String())
	if v, ok := metricValue(fams, "iisctl_service_state", map[string]string{"service": "W3SVC", "state": "stopped"}); !ok || v != 1 {
		t.Errorf("/probe after Stop: W3SVC stopped = %v %v\n%v", v, ok, fams["iisctl_service_state"])
	}
	if v, _ := metricValue(fams, "iisctl_probe_success", nil); v != 1 {
		t.Errorf("/probe success = %v", v)
	}
	resp, err := http.Get(base + "/probe?target=127.0.9.9")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("/probe of a host outside --group: %s", resp.Status)
	}
}
