package systemd

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/systemdtest"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/svctest"
)

// startWindow is how long a test service stays "activating" after its
// command runs (ExecStartPost=sleep): a crash inside it fails the start
// job, and it makes StartPending observable. At most MaxStartWindow.
const startWindow = "0.2"

// stopTimeout is TimeoutStopSec for test services: well over the 10 s the
// contract requires before systemd escalates to SIGKILL on its own.
const stopTimeout = "30"

var groupSeq atomic.Int32

// group is a set of test units in the shared sandbox, namespaced by a
// prefix so that every test gets fresh units.
type group struct {
	sb     *systemdtest.Sandbox
	prefix string
	target string
}

func newGroup(t *testing.T) group {
	t.Helper()
	sb := systemdtest.Shared(t)
	p := fmt.Sprintf("t%d-", groupSeq.Add(1))
	return group{sb: sb, prefix: p, target: p + "iis.target"}
}

func (g group) unit(name string) string { return g.prefix + name + ".service" }

// write writes unit files (names relative to the prefix) and reloads.
func (g group) write(t *testing.T, units map[string]string) {
	t.Helper()
	for name, text := range units {
		if err := g.sb.WriteUnit(g.prefix+name, text); err != nil {
			t.Fatal(err)
		}
	}
}

func (g group) enable(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := g.sb.Enable(g.target, g.unit(n)); err != nil {
			t.Fatal(err)
		}
	}
}

func (g group) reload(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.sb.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

// manager connects a Manager for the group's target.
func (g group) manager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	cfg.BusAddress = g.sb.BusAddress
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// specUnit renders a svctest.Spec as a service PartOf the target.
func (g group) specUnit(sp svctest.Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\nPartOf=%s\nStartLimitIntervalSec=0\n", sp.DisplayName, g.target)
	for _, d := range sp.DependsOn {
		fmt.Fprintf(&b, "Requires=%s\nAfter=%s\n", g.unit(d), g.unit(d))
	}
	fmt.Fprintf(&b, "[Service]\nType=exec\nExecStart=%s\nExecStartPost=/bin/sleep %s\nTimeoutStopSec=%s\n",
		systemdtest.ExecLine(sp.Command()), startWindow, stopTimeout)
	fmt.Fprintf(&b, "[Install]\nWantedBy=%s\n", g.target)
	return b.String()
}

// targetUnit renders the target. systemd only lists a PartOf= unit in
// the target's ConsistsOf once the unit is loaded; naming the demand-start
// units in After= (ordering only) makes loading the target load them.
func (g group) targetUnit(specs []svctest.Spec) string {
	var b strings.Builder
	b.WriteString("[Unit]\nDescription=test Internet services\n")
	for _, sp := range specs {
		if sp.StartType != svc.AutoStart {
			fmt.Fprintf(&b, "After=%s\n", g.unit(sp.Name))
		}
	}
	return b.String()
}

// newSpecManager is svctest's Harness.New: one unit per spec, the
// AutoStart ones enabled for the target (WantedBy=), all PartOf= it.
func newSpecManager(t *testing.T, specs []svctest.Spec) svc.Manager {
	g := newGroup(t)
	units := map[string]string{"iis.target": g.targetUnit(specs)}
	for _, sp := range specs {
		units[sp.Name+".service"] = g.specUnit(sp)
	}
	g.write(t, units)
	for _, sp := range specs {
		if sp.StartType == svc.AutoStart {
			g.enable(t, sp.Name)
		}
	}
	g.reload(t)
	return g.manager(t, Config{Target: g.target, Prefix: g.prefix})
}

func TestContract(t *testing.T) {
	svctest.TestManager(t, svctest.Harness{
		New:               newSpecManager,
		ReportsPending:    true,
		DetectsStartCrash: true,
	})
}
