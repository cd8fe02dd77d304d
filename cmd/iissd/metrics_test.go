package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches and parses a Prometheus text endpoint.
func scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// metricValue is the value of the sample of family name whose labels
// include want (a histogram: its count); ok false if none.
func metricValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	maddr := freeAddr(t)
	d := startReady(t, demoOptions{Edit: func(c *Config) { c.Metrics.Listen = maddr }})
	url := "http://" + maddr + "/metrics"
	val := func(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
		v, _ := metricValue(fams, name, labels)
		return v
	}
	before := scrape(t, url)
	if v, ok := metricValue(before, "iissd_build_info", nil); !ok || v != 1 {
		t.Errorf("iissd_build_info = %v, %v", v, ok)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cc := iiss.ClientConfig{Credentials: iiss.Credentials{User: testAdmin, Password: testAdminPass}}
	c, err := iiss.Dial(ctx, d.Act.String(), cc)
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, d.Logs())
	}
	defer c.Close()
	if _, err := c.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx, 20*time.Second, true); err != nil {
		t.Fatal(err)
	}
	stopped := scrape(t, url)
	if err := c.Start(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	bad := cc
	bad.Credentials.Password = "wrong"
	if _, err := iiss.Dial(ctx, d.Act.String(), bad); !errors.Is(err, iiss.ErrLogonFailure) {
		t.Fatalf("wrong password: %v", err)
	}
	after := scrape(t, url)

	delta := func(name string, labels map[string]string) float64 {
		return val(after, name, labels) - val(before, name, labels)
	}
	for _, m := range []string{"Status", "Stop", "Start"} {
		if got := delta("iissd_calls_total", map[string]string{"method": m, "result": "S_OK"}); got != 1 {
			t.Errorf("iissd_calls_total{method=%s,result=S_OK} rose by %v, want 1", m, got)
		}
		if got := delta("iissd_call_duration_seconds", map[string]string{"method": m}); got != 1 {
			t.Errorf("iissd_call_duration_seconds{method=%s} count rose by %v, want 1", m, got)
		}
	}
	if got := delta("iissd_stop_duration_seconds", nil); got != 1 {
		t.Errorf("iissd_stop_duration_seconds count rose by %v", got)
	}
	if got := delta("iissd_start_duration_seconds", nil); got != 1 {
		t.Errorf("iissd_start_duration_seconds count rose by %v", got)
	}
	if got := delta("iissd_logons_refused_total", map[string]string{"reason": "bad credentials"}); got != 1 {
		t.Errorf("iissd_logons_refused_total{reason=bad credentials} rose by %v, want 1\n%v", got, after["iissd_logons_refused_total"])
	}
	// W3SVC stopped after Stop, running after Start; one state at a time.
	if v := val(stopped, "iissd_service_state", map[string]string{"service": "W3SVC", "state": "stopped"}); v != 1 {
		t.Errorf("after Stop: W3SVC stopped = %v\n%v", v, stopped["iissd_service_state"])
	}
	if v := val(after, "iissd_service_state", map[string]string{"service": "W3SVC", "state": "running"}); v != 1 {
		t.Errorf("after Start: W3SVC running = %v", v)
	}
	if v := val(after, "iissd_service_state", map[string]string{"service": "W3SVC", "state": "stopped"}); v != 0 {
		t.Errorf("after Start: W3SVC stopped = %v", v)
	}
	if v := val(after, "iissd_service_status_up", nil); v != 1 {
		t.Errorf("iissd_service_status_up = %v", v)
	}
	// The client c is still connected to the object exporter.
	if v, ok := metricValue(after, "iissd_connections_open", map[string]string{"endpoint": "object"}); !ok || v < 1 {
		t.Errorf("iissd_connections_open{endpoint=object} = %v, %v", v, ok)
	}
	if _, ok := metricValue(after, "iissd_connections_refused_total", map[string]string{"endpoint": "activation"}); !ok {
		t.Error("no iissd_connections_refused_total")
	}
	for name, f := range after {
		if strings.HasPrefix(name, "iissd_") && f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
	}
}

func TestMetricsConfig(t *testing.T) {
	for _, c := range []struct {
		cfg MetricsConfig
		ok  bool
	}{
		{MetricsConfig{}, true},
		{MetricsConfig{Listen: "127.0.0.1:9135"}, true},
		{MetricsConfig{Listen: "[::1]:9135"}, true},
		{MetricsConfig{Listen: "localhost:9135"}, true},
		{MetricsConfig{Listen: "0.0.0.0:9135"}, false},
		{MetricsConfig{Listen: "10.0.0.1:9135"}, false},
		{MetricsConfig{Listen: "10.0.0.1:9135", AllowRemote: true}, true},
		{MetricsConfig{Listen: "9135"}, false},
	} {
		if err := c.cfg.validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
}
