package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iisctl/iisctl/iiss"
)

// RollingOptions are --rolling and its flags: the hosts go in batches,
// each host is stopped, started (or only one of them) and health-checked
// before the next batch begins.
type RollingOptions struct {
	Enabled        bool
	Batch          string // N or P% of the hosts; default 1
	Health         string // http(s)://{host}/path or tcp://{host}:port
	HealthStatus   int
	HealthTimeout  time.Duration
	HealthRetries  int
	HealthInterval time.Duration
	MaxFailures    int
}

// Defaults of the rolling flags.
const (
	DefaultHealthStatus   = 200
	DefaultHealthTimeout  = 5 * time.Second
	DefaultHealthRetries  = 3
	DefaultHealthInterval = time.Second
)

// batchSize is --batch for n hosts: N, or P% rounded up, at least 1.
func (r *RollingOptions) batchSize(n int) (int, error) {
	s := strings.TrimSpace(r.Batch)
	if s == "" {
		return 1, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 {
			return 0, fmt.Errorf("--batch %q: want a number of hosts or a percentage in (0,100]", r.Batch)
		}
		return max(1, int((float64(n)*v+99.999)/100)), nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("--batch %q: want a number of hosts (at least 1) or a percentage", r.Batch)
	}
	return v, nil
}

// validate checks the rolling flags once parsed.
func (r *RollingOptions) validate(op Op) error {
	if !r.Enabled {
		if r.Health != "" || r.Batch != "" {
			return usageErrorf("--batch and --health need --rolling")
		}
		return nil
	}
	if op != OpRestart && op != OpStop && op != OpStart {
		return usageErrorf("--rolling is for restart, stop and start")
	}
	if _, err := r.batchSize(1); err != nil {
		return usageErrorf("%v", err)
	}
	if r.MaxFailures < 1 {
		return usageErrorf("--max-failures must be at least 1")
	}
	if r.HealthRetries < 0 || r.HealthTimeout <= 0 {
		return usageErrorf("--health-retries must not be negative, --health-timeout must be positive")
	}
	if r.Health != "" {
		if _, err := healthURL(r.Health, Target{Host: "host.example", Port: DefaultPort}); err != nil {
			return usageErrorf("%v", err)
		}
	}
	return nil
}

// healthURL is --health for t: {host} replaced by t's host name
// (bracketed for IPv6), checked to be http, https or tcp.
func healthURL(tmpl string, t Target) (*url.URL, error) {
	host := t.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u, err := url.Parse(strings.ReplaceAll(tmpl, "{host}", host))
	if err != nil {
		return nil, fmt.Errorf("--health %q: %v", tmpl, err)
	}
	switch u.Scheme {
	case "http", "https":
	case "tcp":
		if u.Port() == "" {
			return nil, fmt.Errorf("--health %q: tcp:// needs a port", tmpl)
		}
	default:
		return nil, fmt.Errorf("--health %q: want http://, https:// or tcp://", tmpl)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("--health %q: no host", tmpl)
	}
	return u, nil
}

// healthResult is the outcome of a host's health check.
type healthResult struct {
	URL      string
	Attempts int
	Status   int // the last HTTP status, 0 for tcp or no answer
	Err      error
}

// healthHosts, set by tests, maps a host name to the address its health
// checks connect to (the Host header keeps the name).
var healthHosts func(host string) string

// healthClient is the HTTP client of the health checks: no keep-alive
// (each check is a fresh connection, as a load balancer's), no proxy.
func healthClient(timeout time.Duration) *http.Client {
	var d net.Dialer
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if healthHosts != nil {
				if h, p, err := net.SplitHostPort(addr); err == nil {
					addr = net.JoinHostPort(healthHosts(h), p)
				}
			}
			return d.DialContext(ctx, network, addr)
		}}
	return &http.Client{Timeout: timeout, Transport: tr}
}

// errUnhealthy marks a failed health check.
var errUnhealthy = errors.New("health check failed")

// checkHealth probes t up to 1+HealthRetries times, HealthInterval apart,
// each attempt within HealthTimeout.
func checkHealth(ctx context.Context, r *RollingOptions, t Target, client *http.Client) healthResult {
	u, err := healthURL(r.Health, t)
	if err != nil {
		return healthResult{Err: err}
	}
	h := healthResult{URL: u.String()}
	for h.Attempts = 1; ; h.Attempts++ {
		actx, cancel := context.WithTimeout(ctx, r.HealthTimeout)
		h.Status, h.Err = probeHealth(actx, u, r.HealthStatus, client)
		cancel()
		if h.Err == nil || h.Attempts > r.HealthRetries || ctx.Err() != nil {
			return h
		}
		select {
		case <-ctx.Done():
			return h
		case <-time.After(r.HealthInterval):
		}
	}
}

func probeHealth(ctx context.Context, u *url.URL, want int, client *http.Client) (int, error) {
	if u.Scheme == "tcp" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %v", errUnhealthy, u, err)
		}
		c.Close()
		return 0, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUnhealthy, err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return resp.StatusCode, fmt.Errorf("%w: %s answered %d, want %d", errUnhealthy, u, resp.StatusCode, want)
	}
	return resp.StatusCode, nil
}

// rollHost is one host of a rolling operation.
type rollHost struct {
	hostResult
	Batch  int // 1-based; 0 not reached
	Status string
	Health *healthResult
}

// Statuses of a host in a rolling operation.
const (
	rollOK      = "ok"
	rollFailed  = "failed"
	rollSkipped = "skipped" // not attempted: the roll stopped before its batch
)

// rollReport is a rolling operation's outcome.
type rollReport struct {
	Op          Op
	BatchSize   int
	Batches     int
	MaxFailures int
	Hosts       []rollHost
	Stopped     string // why the roll stopped before the end; "" if it went through
	Interrupted bool
}

func (r *rollReport) count(status string) int {
	n := 0
	for _, h := range r.Hosts {
		if h.Status == status {
			n++
		}
	}
	return n
}

// rollingRun does o.Op over o.Targets in batches.
func rollingRun(ctx context.Context, o *ActionOptions, cred Credentials) error {
	// The hosts' goroutines, Ctrl-C and the live view write stderr: one
	// whole write at a time.
	ios := *o.IO
	ios.ErrOut = &lockedWriter{w: o.IO.ErrOut}
	oc := *o
	oc.IO = &ios
	o = &oc
	ro := &o.Rolling
	size, err := ro.batchSize(len(o.Targets))
	if err != nil {
		return usageErrorf("%v", err)
	}
	rep := &rollReport{Op: o.Op, BatchSize: size, MaxFailures: ro.MaxFailures, Hosts: make([]rollHost, len(o.Targets))}
	rep.Batches = (len(o.Targets) + size - 1) / size
	for i, t := range o.Targets {
		rep.Hosts[i] = rollHost{hostResult: hostResult{Target: t}, Status: rollSkipped}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// On a terminal, a live line (batch, hosts ok/failed/pending) under
	// the hosts' service state changes; plain lines otherwise.
	var prog *progress
	var nOK, nFailed, curBatch atomic.Int64
	logf := func(format string, a ...any) { fmt.Fprintf(o.IO.ErrOut, "iisctl: "+format+"\n", a...) }
	if o.IO.ErrIsTTY && !o.JSON {
		prog = newProgress(o.IO.ErrOut, o.Op, len(o.Targets))
		prog.line = func() string {
			ok, failed := nOK.Load(), nFailed.Load()
			return fmt.Sprintf("rolling %s: batch %d of %d; %d ok, %d failed, %d pending", o.Op, curBatch.Load(), rep.Batches,
				ok, failed, int64(len(o.Targets))-ok-failed)
		}
		logf = prog.printf
		defer func() {
			if prog != nil {
				prog.stop()
			}
		}()
	}
	intr := watchInterrupts(o.Interrupts, o.IO.ErrOut, 2,
		"Ctrl-C: finishing the current batch, then stopping; Ctrl-C again stops waiting", cancel, prog)
	client := healthClient(ro.HealthTimeout)
	failures := 0
	for b := 0; b < rep.Batches; b++ {
		if intr.n.Load() > 0 {
			rep.Stopped, rep.Interrupted = fmt.Sprintf("interrupted before batch %d", b+1), true
			break
		}
		lo, hi := b*size, min((b+1)*size, len(o.Targets))
		names := make([]string, 0, hi-lo)
		for _, t := range o.Targets[lo:hi] {
			names = append(names, t.String())
		}
		curBatch.Store(int64(b + 1))
		logf("batch %d/%d: %s %s", b+1, rep.Batches, o.Op, strings.Join(names, " "))
		// The hosts of a batch all at once: the batch is the unit of
		// concurrency (--parallel does not apply).
		var wg sync.WaitGroup
		for i := lo; i < hi; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := rollOne(ctx, o, o.credFor(o.Targets[i], cred), o.Targets[i], b+1, client, prog)
				if h.Status == rollOK {
					nOK.Add(1)
				} else {
					nFailed.Add(1)
				}
				rep.Hosts[i] = h
				logf("%s", rollLine(o.Op, h))
			}()
		}
		wg.Wait()
		for i := lo; i < hi; i++ {
			if rep.Hosts[i].Status == rollFailed {
				failures++
			}
		}
		if failures >= ro.MaxFailures && hi < len(o.Targets) {
			rep.Stopped = fmt.Sprintf("stopped after batch %d: %d failed (--max-failures %d)", b+1, failures, ro.MaxFailures)
			break
		}
		if ctx.Err() != nil {
			rep.Stopped, rep.Interrupted = fmt.Sprintf("interrupted during batch %d", b+1), true
			break
		}
	}
	if n := intr.stop(); n > 0 && rep.Stopped == "" && rep.count(rollSkipped) > 0 {
		rep.Stopped, rep.Interrupted = "interrupted", true
	}
	if prog != nil {
		prog.stop()
		prog = nil
	}
	if rep.Stopped != "" {
		fmt.Fprintf(o.IO.ErrOut, "iisctl: rolling %s %s; %d hosts not attempted\n", o.Op, rep.Stopped, rep.count(rollSkipped))
	}
	if err := writeRolling(o, rep); err != nil {
		return err
	}
	code := ExitOK
	for _, h := range rep.Hosts {
		if h.Status == rollFailed {
			c := exitCodeOf(h.Err)
			if errors.Is(h.Err, errUnhealthy) {
				c = ExitFailed
			}
			code = worse(code, c)
		}
	}
	if rep.Interrupted && code == ExitOK {
		code = ExitInterrupted
	}
	if code != ExitOK {
		return &exitError{code}
	}
	return nil
}

// rollOne does the operation on one host, then its health check.
func rollOne(ctx context.Context, o *ActionOptions, cred Credentials, t Target, batch int, client *http.Client, prog *progress) rollHost {
	start := time.Now()
	h := rollHost{hostResult: runHost(ctx, o, cred, t, prog), Batch: batch, Status: rollOK}
	if h.Err == nil && o.Rolling.Health != "" && o.Op != OpStop {
		hr := checkHealth(ctx, &o.Rolling, t, client)
		h.Health = &hr
		if hr.Err != nil {
			h.Err, h.Step = hr.Err, "health"
		}
	}
	if h.Err != nil {
		h.Status = rollFailed
	}
	h.Duration = o.Since(start)
	return h
}

// rollLine is a host's progress line.
func rollLine(op Op, h rollHost) string {
	d := h.Duration.Round(time.Millisecond)
	if h.Status == rollFailed {
		return fmt.Sprintf("%s: failed (%s) after %s", h.Target, rollDetail(h), d)
	}
	s := fmt.Sprintf("%s: %s ok", h.Target, op)
	if h.Health != nil {
		s += fmt.Sprintf(", healthy (%s)", healthText(h.Health))
	}
	return s + " in " + d.String()
}

func healthText(hr *healthResult) string {
	s := hr.URL
	if hr.Status != 0 {
		s += " " + strconv.Itoa(hr.Status)
	}
	if hr.Attempts > 1 {
		s += fmt.Sprintf(", %d attempts", hr.Attempts)
	}
	return s
}

func rollDetail(h rollHost) string {
	if h.Step == "health" {
		return fmt.Sprintf("health: %v (%d attempts)", strings.TrimPrefix(h.Err.Error(), errUnhealthy.Error()+": "), h.Health.Attempts)
	}
	return detail(h.hostResult)
}

// writeRolling prints the summary table, or the JSON report.
func writeRolling(o *ActionOptions, rep *rollReport) error {
	if o.JSON {
		return writeRollingJSON(o, rep)
	}
	t := &table{tty: o.IO.OutIsTTY, header: []string{"HOST", "BATCH", "RESULT", "DETAIL", "DURATION"}}
	for _, h := range rep.Hosts {
		batch, det, dur := "-", "not attempted", "-"
		if h.Batch > 0 {
			batch, dur = strconv.Itoa(h.Batch), h.Duration.Round(time.Millisecond).String()
			det = successText[o.Op]
			if h.Health != nil && h.Err == nil {
				det += "; healthy (" + healthText(h.Health) + ")"
			}
		}
		if h.Status == rollFailed {
			det = rollDetail(h)
		}
		t.add(h.Target.String(), batch, h.Status, det, dur)
	}
	if err := t.write(o.IO.Out); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "rolling %s: %d ok, %d failed, %d not attempted, in batches of %d\n",
		o.Op, rep.count(rollOK), rep.count(rollFailed), rep.count(rollSkipped), rep.BatchSize)
	return nil
}

// jsonRolling is --json's report of a rolling operation (iisctl help json).
type jsonRolling struct {
	Action      string         `json:"action"`
	Rolling     bool           `json:"rolling"`
	BatchSize   int            `json:"batch_size"`
	Batches     int            `json:"batches"`
	MaxFailures int            `json:"max_failures"`
	Completed   bool           `json:"completed"`
	Stopped     string         `json:"stopped"`
	Interrupted bool           `json:"interrupted"`
	OK          int            `json:"ok"`
	Failed      int            `json:"failed"`
	Skipped     int            `json:"skipped"`
	Hosts       []jsonRollHost `json:"hosts"`
}

type jsonRollHost struct {
	jsonHost
	Batch     int         `json:"batch"`
	Status    string      `json:"status"`
	ErrorKind string      `json:"error_kind"`
	Health    *jsonHealth `json:"health"`
}

type jsonHealth struct {
	URL      string `json:"url"`
	Attempts int    `json:"attempts"`
	Status   int    `json:"status"`
	OK       bool   `json:"ok"`
	Error    string `json:"error"`
}

func writeRollingJSON(o *ActionOptions, rep *rollReport) error {
	out := jsonRolling{Action: string(o.Op), Rolling: true, BatchSize: rep.BatchSize, Batches: rep.Batches,
		MaxFailures: rep.MaxFailures, Completed: rep.Stopped == "", Stopped: rep.Stopped, Interrupted: rep.Interrupted,
		OK: rep.count(rollOK), Failed: rep.count(rollFailed), Skipped: rep.count(rollSkipped), Hosts: []jsonRollHost{}}
	for _, h := range rep.Hosts {
		j := jsonRollHost{jsonHost: toJSON(o.Op, h.hostResult), Batch: h.Batch, Status: h.Status}
		switch {
		case h.Status == rollSkipped:
			j.OK, j.ExitCode, j.Error = false, 0, "not attempted"
		case errors.Is(h.Err, errUnhealthy):
			j.ErrorKind, j.ExitCode, j.Error = "unhealthy", ExitFailed, h.Err.Error()
		case h.Err != nil:
			j.ErrorKind = iiss.Classify(h.Err).String()
		}
		if h.Health != nil {
			j.Health = &jsonHealth{URL: h.Health.URL, Attempts: h.Health.Attempts, Status: h.Health.Status, OK: h.Health.Err == nil}
			if h.Health.Err != nil {
				j.Health.Error = h.Health.Err.Error()
			}
		}
		out.Hosts = append(out.Hosts, j)
	}
	enc := json.NewEncoder(o.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
