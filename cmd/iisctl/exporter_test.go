package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func scrapeText(t *testing.T, h http.Handler, path string) (int, map[string]*dto.MetricFamily, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	body := rec.Body.String()
	if rec.Code != 200 {
		return rec.Code, nil, body
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v\n%s", path, err, body)
	}
	return rec.Code, fams, body
}

// sample is the value of name's sample with exactly labels; ok false if none.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		if len(m.Label) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.Label {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

func TestExporter(t *testing.T) {
	e := newEnv(false)
	e.hosts["web1"] = newStub(true)
	e.hosts["web2"] = newStub(false)
	e.dialErrs["down"] = &iiss.Error{Kind: iiss.KindUnreachable, Code: iiss.RPC_S_SERVER_UNAVAILABLE, Addr: "down:135", Err: syscall.ECONNREFUSED}
	e.hosts["late"] = newStub(true)
	e.dialErrs["bad"] = errors.Join(iiss.ErrLogonFailure)
	o := &ActionOptions{IO: e.f.IO, Dial: e.dial, Getenv: e.f.Getenv, Since: e.f.Since, Op: OpStatus, Parallel: 4,
		Targets: []Target{{"web1", 135}, {"web2", 135}, {"down", 135}, {"bad", 135}}, Conn: ConnOptions{DialTimeout: time.Second}}
	ex := newExporter(o, ExporterOptions{Timeout: 5 * time.Second, Version: "v-test"}, Credentials{User: "admin", Password: "pw"})
	ex.round(context.Background())
	h := ex.handler()
	code, fams, body := scrapeText(t, h, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	want := []struct {
		name   string
		labels map[string]string
		v      float64
	}{
		{"iisctl_probe_success", map[string]string{"target": "web1"}, 1},
		{"iisctl_probe_success", map[string]string{"target": "down"}, 0},
		{"iisctl_probe_success", map[string]string{"target": "bad"}, 0},
		{"iisctl_probe_error", map[string]string{"target": "down", "kind": "unreachable"}, 1},
		{"iisctl_probe_error", map[string]string{"target": "bad", "kind": "logon-failure"}, 1},
		{"iisctl_service_state", map[string]string{"target": "web1", "service": "web", "state": "running"}, 1},
		{"iisctl_service_state", map[string]string{"target": "web1", "service": "web", "state": "stopped"}, 0},
		{"iisctl_service_state", map[string]string{"target": "web2", "service": "web", "state": "stopped"}, 1},
		{"iisctl_probes_total", map[string]string{"target": "web1", "result": "success"}, 1},
		{"iisctl_probes_total", map[string]string{"target": "down", "result": "unreachable"}, 1},
		{"iisctl_exporter_rounds_total", map[string]string{}, 1},
		{"iisctl_exporter_build_info", map[string]string{"version": "v-test", "goversion": ""}, 1},
	}
	for _, w := range want {
		if w.name == "iisctl_exporter_build_info" {
			if f := fams[w.name]; f == nil || len(f.Metric) != 1 || f.Metric[0].Gauge.GetValue() != 1 {
				t.Errorf("%s: %v", w.name, f)
			}
			continue
		}
		if v, ok := sample(fams, w.name, w.labels); !ok || v != w.v {
			t.Errorf("%s%v = %v (%v), want %v", w.name, w.labels, v, ok, w.v)
		}
	}
	if _, ok := sample(fams, "iisctl_probe_error", map[string]string{"target": "web1", "kind": "unreachable"}); ok {
		t.Error("a probe error for a healthy host")
	}
	if _, ok := sample(fams, "iisctl_probe_duration_seconds", map[string]string{"target": "web1"}); !ok {
		t.Error("no probe duration")
	}

	// /probe: a host of the inventory probed now; others refused.
	e.hosts["web2"].Fake.Start(context.Background(), time.Second)
	code, fams, body = scrapeText(t, h, "/probe?target=web2")
	if code != 200 {
		t.Fatalf("/probe: %d %s", code, body)
	}
	if v, ok := sample(fams, "iisctl_service_state", map[string]string{"target": "web2", "service": "web", "state": "running"}); !ok || v != 1 {
		t.Errorf("/probe web2 W3SVC running = %v %v\n%s", v, ok, body)
	}
	if v, _ := sample(fams, "iisctl_probe_success", map[string]string{"target": "web2"}); v != 1 {
		t.Errorf("/probe web2 success = %v", v)
	}
	if _, ok := fams["iisctl_exporter_rounds_total"]; ok {
		t.Error("/probe carries the exporter's own metrics")
	}
	if code, _, body := scrapeText(t, h, "/probe?target=late"); code != http.StatusForbidden {
		t.Errorf("/probe outside the inventory: %d %s", code, body)
	}
	if code, _, _ := scrapeText(t, h, "/probe?target="); code != http.StatusBadRequest {
		t.Errorf("/probe without target: %d", code)
	}
	ex.eo.ProbeAny = true
	if code, _, body := scrapeText(t, h, "/probe?target=late"); code != 200 {
		t.Errorf("/probe --probe-any: %d %s", code, body)
	}
}

// TestExporterCommand runs `iisctl exporter` on a free port and scrapes it.
func TestExporterCommand(t *testing.T) {
	e := newEnv(false)
	e.hosts["web1"] = newStub(true)
	intr := make(chan os.Signal, 1)
	e.f.Interrupts = intr
	done := make(chan int, 1)
	addr := freeTCPAddr(t)
	go func() {
		done <- e.run(t, "iisctl", "exporter", "--listen", addr, "--interval", "50ms", "-u", "admin", "web1")
	}()
	deadline := time.Now().Add(10 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if body = string(b); strings.Contains(body, `iisctl_service_state{service="web",state="running",target="web1"} 1`) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	intr <- syscall.SIGINT
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, e.errOut)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the exporter did not stop on Ctrl-C")
	}
	if !strings.Contains(body, `iisctl_service_state{service="web",state="running",target="web1"} 1`) {
		t.Errorf("metrics:\n%s", body)
	}
}

func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
