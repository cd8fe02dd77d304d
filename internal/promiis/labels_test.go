package promiis

import (
	"testing"

	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/svc"
)

func TestLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range States {
		l := StateLabel(s)
		if l == "unknown" || seen[l] {
			t.Errorf("state %d: label %q", s, l)
		}
		seen[l] = true
	}
	if StateLabel(svc.State(99)) != "unknown" || StateLabel(svc.Running) != "running" {
		t.Error("state labels")
	}
	if got := ResultLabel(hresult.HRESULT(0x80070005)); got != "E_ACCESSDENIED" {
		t.Errorf("E_ACCESSDENIED: %q", got)
	}
	if got := ResultLabel(hresult.HRESULT(0x8123ABCD)); got != "0x8123ABCD" {
		t.Errorf("unnamed: %q", got)
	}
}
