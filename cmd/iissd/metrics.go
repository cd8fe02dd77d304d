package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/cmdline"
	"github.com/iisctl/iisctl/internal/promiis"
	"github.com/iisctl/iisctl/svc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsConfig is the [metrics] section: a Prometheus endpoint
// (docs/metrics.md). Empty Listen: none.
type MetricsConfig struct {
	// Listen is the endpoint's address, e.g. 127.0.0.1:9135; it serves
	// /metrics. A non-loopback address needs AllowRemote: the metrics
	// name services, methods and refusal reasons.
	Listen      string `toml:"listen"`
	AllowRemote bool   `toml:"allow_remote"`
}

func (c MetricsConfig) validate() error {
	if c.Listen == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("metrics.listen %q: %w", c.Listen, err)
	}
	if ip := net.ParseIP(host); !c.AllowRemote && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("metrics.listen %q: not a loopback address; set metrics.allow_remote = true to serve metrics to the network", c.Listen)
	}
	return nil
}

// statusScrapeTimeout bounds the backend's Status during a scrape.
const statusScrapeTimeout = 5 * time.Second

// metrics are iissd's Prometheus metrics. The calls are counted by
// wrapping the backend iiss.Server calls (meter), refusals by wrapping
// the server's audit trail (auditor), connections from the rpc
// admission counters and service states from the backend on each scrape.
type metrics struct {
	reg           *prometheus.Registry
	calls         *prometheus.CounterVec   // method, result
	callDur       *prometheus.HistogramVec // method
	startDur      prometheus.Histogram
	stopDur       prometheus.Histogram
	logonsRefused *prometheus.CounterVec // mechanism, reason
	callsRefused  *prometheus.CounterVec // reason
}

// newMetrics registers iissd's metrics; mgr gives the services' states,
// conns (which may return ok false before the server exists) the
// connections.
func newMetrics(mgr svc.Manager, conns func() (act, obj iiss.ConnStats, ok bool)) *metrics {
	reg := prometheus.NewRegistry()
	durBuckets := []float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	m := &metrics{
		reg: reg,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "iissd_calls_total",
			Help: "IIisServiceControl calls answered, by method and result (HRESULT name)."}, []string{"method", "result"}),
		callDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "iissd_call_duration_seconds",
			Help: "How long IIisServiceControl calls took in the backend, by method.", Buckets: durBuckets}, []string{"method"}),
		startDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "iissd_start_duration_seconds",
			Help: "How long starting the Internet services took (Start calls that succeeded).", Buckets: durBuckets}),
		stopDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "iissd_stop_duration_seconds",
			Help: "How long stopping the Internet services took (Stop calls that succeeded).", Buckets: durBuckets}),
		logonsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "iissd_logons_refused_total",
			Help: "Refused logons, by mechanism and reason."}, []string{"mechanism", "reason"}),
		callsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "iissd_calls_refused_total",
			Help: "Calls refused before the backend (RPC or DCOM security), by reason."}, []string{"reason"}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "iissd_build_info",
		Help:        "Always 1; the labels say which iissd this is.",
		ConstLabels: prometheus.Labels{"version": cmdline.Version(), "goversion": runtime.Version()}})
	info.Set(1)
	reg.MustRegister(m.calls, m.callDur, m.startDur, m.stopDur, m.logonsRefused, m.callsRefused, info,
		&stateCollector{mgr: mgr}, &connCollector{conns: conns},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe counts a call to the backend.
func (m *metrics) observe(method string, start time.Time, err error) time.Duration {
	d := time.Since(start)
	h, _ := iiss.AsHRESULT(err)
	m.calls.WithLabelValues(method, promiis.ResultLabel(h)).Inc()
	m.callDur.WithLabelValues(method).Observe(d.Seconds())
	return d
}

// meter wraps the backend the server calls; nil m: svc itself.
func (m *metrics) meter(s iiss.Service) iiss.Service {
	if m == nil {
		return s
	}
	return &meteredService{Service: s, m: m}
}

// auditor wraps the server's audit trail to count refused logons and
// calls; nil m: a itself.
func (m *metrics) auditor(a iiss.Auditor) iiss.Auditor {
	if m == nil {
		return a
	}
	return iiss.AuditorFunc(func(ctx context.Context, r iiss.AuditRecord) {
		switch r.Method {
		case "Logon":
			m.logonsRefused.WithLabelValues(r.Mechanism, r.Reason).Inc()
		case "Call":
			m.callsRefused.WithLabelValues(r.Reason).Inc()
		}
		if a != nil {
			a.Audit(ctx, r)
		}
	})
}

type meteredService struct {
	iiss.Service
	m *metrics
}

func (s *meteredService) Stop(ctx context.Context, timeout time.Duration, force bool) error {
	start := time.Now()
	err := s.Service.Stop(ctx, timeout, force)
	if d := s.m.observe("Stop", start, err); err == nil {
		s.m.stopDur.Observe(d.Seconds())
	}
	return err
}

func (s *meteredService) Start(ctx context.Context, timeout time.Duration) error {
	start := time.Now()
	err := s.Service.Start(ctx, timeout)
	if d := s.m.observe("Start", start, err); err == nil {
		s.m.startDur.Observe(d.Seconds())
	}
	return err
}

func (s *meteredService) Reboot(ctx context.Context, timeout time.Duration, force bool) error {
	start := time.Now()
	err := s.Service.Reboot(ctx, timeout, force)
	s.m.observe("Reboot", start, err)
	return err
}

func (s *meteredService) Status(ctx context.Context) ([]iiss.ServiceStatus, error) {
	start := time.Now()
	list, err := s.Service.Status(ctx)
	s.m.observe("Status", start, err)
	return list, err
}

func (s *meteredService) Kill(ctx context.Context) error {
	start := time.Now()
	err := s.Service.Kill(ctx)
	s.m.observe("Kill", start, err)
	return err
}

// stateCollector asks the backend for the services at each scrape.
type stateCollector struct{ mgr svc.Manager }

var (
	stateDesc = prometheus.NewDesc("iissd_service_state",
		"1 for the state each Internet service is in, 0 for the others.", []string{"service", "state"}, nil)
	statusUpDesc = prometheus.NewDesc("iissd_service_status_up",
		"1 if the backend reported the services' states at this scrape, 0 if it failed.", nil, nil)
	connsOpenDesc = prometheus.NewDesc("iissd_connections_open",
		"Connections open now, by endpoint (activation, object).", []string{"endpoint"}, nil)
	connsRefusedDesc = prometheus.NewDesc("iissd_connections_refused_total",
		"Connections refused over [limits], by endpoint.", []string{"endpoint"}, nil)
	connsEvictedDesc = prometheus.NewDesc("iissd_connections_evicted_total",
		"Unauthenticated connections evicted for a newcomer, by endpoint.", []string{"endpoint"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- stateDesc; ch <- statusUpDesc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), statusScrapeTimeout)
	defer cancel()
	list, err := c.mgr.Services(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(statusUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(statusUpDesc, prometheus.GaugeValue, 1)
	for _, s := range list {
		for _, st := range promiis.States {
			v := 0.0
			if s.State == st {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, v, s.Name, promiis.StateLabel(st))
		}
	}
}

type connCollector struct {
	conns func() (act, obj iiss.ConnStats, ok bool)
}

func (c *connCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- connsOpenDesc
	ch <- connsRefusedDesc
	ch <- connsEvictedDesc
}

func (c *connCollector) Collect(ch chan<- prometheus.Metric) {
	act, obj, ok := c.conns()
	if !ok {
		return
	}
	for _, e := range []struct {
		name string
		s    iiss.ConnStats
	}{{"activation", act}, {"object", obj}} {
		ch <- prometheus.MustNewConstMetric(connsOpenDesc, prometheus.GaugeValue, float64(e.s.Open), e.name)
		ch <- prometheus.MustNewConstMetric(connsRefusedDesc, prometheus.CounterValue, float64(e.s.Refused), e.name)
		ch <- prometheus.MustNewConstMetric(connsEvictedDesc, prometheus.CounterValue, float64(e.s.Evicted), e.name)
	}
}

// startMetrics serves m on cfg.Listen at /metrics. Failing to listen is
// an error: a configured endpoint that is not there would go unnoticed.
func startMetrics(cfg MetricsConfig, m *metrics, log *slog.Logger) (addr net.Addr, stop func(), err error) {
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogPrintln{log}}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics endpoint stopped", "err", err)
		}
	}()
	log.Info("iissd metrics", "url", "http://"+l.Addr().String()+"/metrics")
	return l.Addr(), func() { srv.Close() }, nil
}

// slogPrintln adapts a slog.Logger to promhttp's error log.
type slogPrintln struct{ log *slog.Logger }

func (s slogPrintln) Println(v ...any) { s.log.Error("metrics", "err", fmt.Sprint(v...)) }
