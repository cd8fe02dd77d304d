package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/promiis"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
)

// ExporterOptions are `iisctl exporter`'s own flags.
type ExporterOptions struct {
	Listen   string
	Interval time.Duration // between scheduled rounds; 0: probe only on /probe
	Timeout  time.Duration // one probe (dial and Status)
	ProbeAny bool          // /probe may name hosts outside the inventory
	Version  string        // iisctl's, for iisctl_exporter_build_info
}

// Exporter defaults.
const (
	DefaultExporterListen   = "127.0.0.1:9136"
	DefaultExporterInterval = 30 * time.Second
	DefaultProbeTimeout     = 10 * time.Second
)

// probeResult is the last probe of a host.
type probeResult struct {
	Target   Target
	At       time.Time
	Duration time.Duration
	Err      error
	Services []iiss.ServiceStatus
}

// exporter probes hosts with Status and serves what it learnt: /metrics
// holds the scheduled rounds over the inventory, /probe?target=HOST
// probes HOST now (Prometheus' blackbox-exporter pattern).
type exporter struct {
	o    *ActionOptions
	eo   ExporterOptions
	cred Credentials
	reg  *prometheus.Registry

	mu      sync.Mutex
	last    map[Target]probeResult
	rounds  prometheus.Counter
	probes  *prometheus.CounterVec // target, result
	inInv   map[Target]bool
	probing chan struct{} // bounds probes at once (o.Parallel)
}

func newExporter(o *ActionOptions, eo ExporterOptions, cred Credentials) *exporter {
	e := &exporter{o: o, eo: eo, cred: cred, reg: prometheus.NewRegistry(), last: map[Target]probeResult{},
		inInv: map[Target]bool{}, probing: make(chan struct{}, max(o.Parallel, 1))}
	for _, t := range o.Targets {
		e.inInv[t] = true
	}
	e.rounds = prometheus.NewCounter(prometheus.CounterOpts{Name: "iisctl_exporter_rounds_total",
		Help: "Scheduled probe rounds over the inventory completed."})
	e.probes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "iisctl_probes_total",
		Help: "Probes by target and result (success, or the error kind)."}, []string{"target", "result"})
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "iisctl_exporter_build_info", Help: "Always 1; the labels say which iisctl this is.",
		ConstLabels: prometheus.Labels{"version": eo.Version, "goversion": runtime.Version()}})
	info.Set(1)
	e.reg.MustRegister(e.rounds, e.probes, info, cachedCollector{e},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// probe dials t and asks for Status, within the probe timeout.
func (e *exporter) probe(ctx context.Context, t Target) probeResult {
	e.probing <- struct{}{}
	defer func() { <-e.probing }()
	ctx, cancel := context.WithTimeout(ctx, e.eo.Timeout)
	defer cancel()
	start := time.Now()
	r := probeResult{Target: t, At: start}
	conn, err := dial(ctx, e.o.Dial, t, e.o.credFor(t, e.cred), e.o.Conn)
	if err == nil {
		r.Services, err = conn.Status(ctx)
		conn.Close()
	}
	r.Duration, r.Err = time.Since(start), err
	result := "success"
	if err != nil {
		result = iiss.Classify(err).String()
	}
	if e.inInv[t] { // --probe-any targets are not counted: scrapers could grow the series without bound
		e.probes.WithLabelValues(t.String(), result).Inc()
	}
	return r
}

// round probes every host of the inventory and keeps the results.
func (e *exporter) round(ctx context.Context) {
	var wg sync.WaitGroup
	for _, t := range e.o.Targets {
		wg.Go(func() {
			r := e.probe(ctx, t)
			e.mu.Lock()
			e.last[t] = r
			e.mu.Unlock()
		})
	}
	wg.Wait()
	e.rounds.Inc()
}

// run probes on schedule until ctx ends.
func (e *exporter) run(ctx context.Context) {
	if e.eo.Interval <= 0 {
		return
	}
	for {
		e.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(e.eo.Interval):
		}
	}
}

var (
	probeSuccessDesc = prometheus.NewDesc("iisctl_probe_success",
		"1 if the last probe (dial and Status) of the target succeeded.", []string{"target"}, nil)
	probeDurationDesc = prometheus.NewDesc("iisctl_probe_duration_seconds",
		"How long the last probe of the target took.", []string{"target"}, nil)
	probeErrorDesc = prometheus.NewDesc("iisctl_probe_error",
		"1 with the kind of error of the last probe that failed (unreachable, logon-failure, dial-timeout, ...).", []string{"target", "kind"}, nil)
	probeTimeDesc = prometheus.NewDesc("iisctl_probe_timestamp_seconds",
		"When the last probe of the target started (Unix time).", []string{"target"}, nil)
	serviceStateDesc = prometheus.NewDesc("iisctl_service_state",
		"1 for the state each Internet service of the target is in, 0 for the others.", []string{"target", "service", "state"}, nil)
)

// emit writes the metrics of r.
func emit(ch chan<- prometheus.Metric, r probeResult) {
	tg := r.Target.String()
	ok := 0.0
	if r.Err == nil {
		ok = 1
	}
	ch <- prometheus.MustNewConstMetric(probeSuccessDesc, prometheus.GaugeValue, ok, tg)
	ch <- prometheus.MustNewConstMetric(probeDurationDesc, prometheus.GaugeValue, r.Duration.Seconds(), tg)
	ch <- prometheus.MustNewConstMetric(probeTimeDesc, prometheus.GaugeValue, float64(r.At.UnixNano())/1e9, tg)
	if r.Err != nil {
		ch <- prometheus.MustNewConstMetric(probeErrorDesc, prometheus.GaugeValue, 1, tg, iiss.Classify(r.Err).String())
	}
	for _, s := range r.Services {
		for _, st := range promiis.States {
			v := 0.0
			if s.State == st {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(serviceStateDesc, prometheus.GaugeValue, v, tg, s.Name, promiis.StateLabel(st))
		}
	}
}

// cachedCollector reports the scheduled rounds' last results.
type cachedCollector struct{ e *exporter }

func (c cachedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{probeSuccessDesc, probeDurationDesc, probeErrorDesc, probeTimeDesc, serviceStateDesc} {
		ch <- d
	}
}

func (c cachedCollector) Collect(ch chan<- prometheus.Metric) {
	c.e.mu.Lock()
	list := make([]probeResult, 0, len(c.e.last))
	for _, t := range c.e.o.Targets {
		if r, ok := c.e.last[t]; ok {
			list = append(list, r)
		}
	}
	c.e.mu.Unlock()
	for _, r := range list {
		emit(ch, r)
	}
}

// oneCollector reports one fresh probe.
type oneCollector struct{ r probeResult }

func (c oneCollector) Describe(ch chan<- *prometheus.Desc) { cachedCollector{}.Describe(ch) }
func (c oneCollector) Collect(ch chan<- prometheus.Metric) { emit(ch, c.r) }

// handler serves /metrics and /probe.
func (e *exporter) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/probe", e.serveProbe)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "iisctl exporter: /metrics (the inventory, probed on schedule), /probe?target=HOST[:PORT] (probed now)")
	})
	return mux
}

// serveProbe probes ?target= now. Only hosts of the inventory unless
// --probe-any: each probe logs on with the configured account, which
// must not be offered to any host a scraper names.
func (e *exporter) serveProbe(w http.ResponseWriter, r *http.Request) {
	t, err := ParseTarget(r.URL.Query().Get("target"))
	if err != nil {
		http.Error(w, "target: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !e.eo.ProbeAny && !e.inInv[t] {
		http.Error(w, fmt.Sprintf("target %s is not in the inventory (--probe-any allows any)", t), http.StatusForbidden)
		return
	}
	res := e.probe(r.Context(), t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(oneCollector{res})
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// exporterRun serves until ctx ends or Ctrl-C.
func exporterRun(ctx context.Context, o *ActionOptions, eo ExporterOptions) error {
	cred, wipe, err := o.fleetCredentials()
	if err != nil {
		return err
	}
	defer wipe()
	e := newExporter(o, eo, cred)
	l, err := net.Listen("tcp", eo.Listen)
	if err != nil {
		return fmt.Errorf("exporter: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{Handler: e.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		select {
		case <-ctx.Done():
		case <-o.Interrupts:
			cancel()
		}
		srv.Close()
	}()
	go e.run(ctx)
	fmt.Fprintf(o.IO.ErrOut, "iisctl exporter: %d hosts, every %v; http://%s/metrics and /probe?target=HOST\n",
		len(o.Targets), eo.Interval, l.Addr())
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newExporterCmd is `iisctl exporter`.
func newExporterCmd(ctx context.Context, f *Factory, auth *AuthFlags, conn *ConnOptions) *cobra.Command {
	o := &ActionOptions{IO: f.IO, Dial: f.Dial, Getenv: f.Getenv, Since: f.Since, Interrupts: f.Interrupts, Op: OpStatus,
		Parallel: 64}
	eo := ExporterOptions{Version: f.Version}
	c := &cobra.Command{
		Use:   "exporter [HOST[:PORT]...]",
		Short: "Serve Prometheus metrics of the hosts' Internet services",
		Long: `Probes each host (of the command line, --hosts-file or stdin) with Status every
--interval and serves the results at http://LISTEN/metrics: iisctl_service_state
per host, service and state, iisctl_probe_success, iisctl_probe_duration_seconds
and iisctl_probe_error with the kind of failure (docs/metrics.md).
/probe?target=HOST[:PORT] probes one host of the inventory at once, as
Prometheus' blackbox exporter does. Each probe logs on with the account of
-u or --credentials-file; --probe-any lets /probe name hosts outside the
inventory (it then offers that logon to whatever host a scraper names).`,
		RunE: func(c *cobra.Command, hosts []string) error {
			o.Auth, o.Conn = *auth, *conn
			if len(hosts) == 0 && o.Inventory.HostsFile == "" {
				return usageErrorf("exporter: no host given (HOST..., --hosts-file FILE or - for stdin)")
			}
			if err := o.setTargets(hosts); err != nil {
				return err
			}
			if eo.Timeout <= 0 {
				return usageErrorf("--timeout must be positive")
			}
			return exporterRun(ctx, o, eo)
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.StringVar(&eo.Listen, "listen", DefaultExporterListen, "serve metrics on `ADDR:PORT`")
	fs.DurationVar(&eo.Interval, "interval", DefaultExporterInterval, "time between probe rounds over the inventory (0: only /probe)")
	fs.DurationVar(&eo.Timeout, "timeout", DefaultProbeTimeout, "time for one probe (connect and Status)")
	fs.BoolVar(&eo.ProbeAny, "probe-any", false, "let /probe?target= name hosts outside the inventory")
	fs.StringVar(&o.Inventory.HostsFile, "hosts-file", "", "read hosts from `FILE` (one HOST[:PORT] a line, # comments, [group] sections; - is stdin)")
	fs.StringSliceVar(&o.Inventory.Groups, "group", nil, "only the hosts of these [group] sections of the hosts file")
	fs.StringVar(&o.Inventory.CredsFile, "credentials-file", "", "per-host accounts in `FILE` (0600): lines PATTERN USER PASSWORD")
	fs.IntVar(&o.Parallel, "parallel", 64, "probes at once")
	return c
}
