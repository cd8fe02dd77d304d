package systemd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iisctl/iisctl/svc"
)

// members lists the Internet services: the explicit Units in config order,
// then the target's service units sorted by name. Units the target Wants=
// or Requires= are AutoStart; units only PartOf= it are DemandStart.
func (m *Manager) members(ctx context.Context) ([]member, error) {
	out := m.explicit()
	if m.cfg.Target == "" {
		return out, nil
	}
	tm, err := m.targetMembers(ctx)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(out))
	for _, mb := range out {
		seen[mb.unit] = true
	}
	for _, mb := range tm {
		if !seen[mb.unit] {
			out = append(out, mb)
		}
	}
	return out, nil
}

func (m *Manager) explicit() []member {
	var out []member
	seen := map[string]bool{}
	for _, u := range m.cfg.Units {
		unit := m.cfg.unitName(u)
		if seen[unit] {
			continue
		}
		seen[unit] = true
		st := svc.AutoStart
		if m.cfg.isDemand(unit) {
			st = svc.DemandStart
		}
		out = append(out, member{unit, st})
	}
	return out
}

// targetMembers reads the target's Wants, Requires and ConsistsOf.
func (m *Manager) targetMembers(ctx context.Context) ([]member, error) {
	p, err := m.conn.GetUnitPropertiesContext(ctx, m.cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("systemd: target %s: %w", m.cfg.Target, wrapBusErr(ctx, err))
	}
	if ls := prop[string](p, "LoadState"); ls != "loaded" {
		return nil, fmt.Errorf("systemd: target %s is %s: %w", m.cfg.Target, ls, svc.ErrUnknownService)
	}
	return groupMembers(concat(prop[[]string](p, "Wants"), prop[[]string](p, "Requires")),
		prop[[]string](p, "ConsistsOf")), nil
}

// groupMembers turns a target's dependency lists into sorted members:
// wanted units are AutoStart, the rest DemandStart. Only services count.
func groupMembers(wanted, partOf []string) []member {
	start := map[string]svc.StartType{}
	for _, u := range partOf {
		start[u] = svc.DemandStart
	}
	for _, u := range wanted {
		start[u] = svc.AutoStart
	}
	var out []member
	for u, st := range start {
		if strings.HasSuffix(u, ".service") {
			out = append(out, member{u, st})
		}
	}
	slices.SortFunc(out, func(a, b member) int { return strings.Compare(a.unit, b.unit) })
	return out
}

// names maps each member's unit name to its service name.
func (m *Manager) names(ms []member) map[string]string {
	names := make(map[string]string, len(ms))
	for _, mb := range ms {
		names[mb.unit] = m.cfg.serviceName(mb.unit)
	}
	return names
}
