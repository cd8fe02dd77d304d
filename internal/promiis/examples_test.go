package promiis

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The example dashboard and alert rules name only metrics that
// docs/metrics.md documents (and the tests of iissd and the exporter
// scrape), and parse.
func TestExamplesUseDocumentedMetrics(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:iissd|iisctl)_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	if len(documented) < 15 {
		t.Fatalf("only %d metrics documented", len(documented))
	}
	names := regexp.MustCompile(`\b(?:iissd|iisctl)_[a-z_]+`)
	check := func(file, text string) {
		for _, n := range names.FindAllString(text, -1) {
			base := n
			for _, suf := range []string{"_bucket", "_count", "_sum"} {
				base = strings.TrimSuffix(base, suf)
			}
			if !documented[base] {
				t.Errorf("%s uses %s, not in docs/metrics.md", file, n)
			}
		}
	}

	b, err := os.ReadFile("../../example/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	exprs := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs++
			check("dashboard "+p.Title, tg.Expr)
		}
	}
	if exprs < 10 {
		t.Errorf("dashboard: %d queries", exprs)
	}

	b, err = os.ReadFile("../../example/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("alerts: %v", err)
	}
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if r.Expr == "" {
				t.Errorf("alert %s has no expr", r.Alert)
			}
			check("alert "+r.Alert, r.Expr)
		}
	}
	for _, a := range []string{"IISServiceStopped", "IISHostUnreachable"} {
		if !alerts[a] {
			t.Errorf("no alert %s", a)
		}
	}
}
