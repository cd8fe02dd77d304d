package systemd

import (
	"context"
	"errors"
)

// Stop queues a stop job for every service and the target and waits for
// each job's JobRemoved signal. A target's stop job ends before the
// services stopped through PartOf= are down, so each service's own job
// is awaited. systemd orders the stops in reverse After= order.
func (m *Manager) Stop(ctx context.Context) error {
	ms, err := m.members(ctx)
	if err != nil {
		return err
	}
	jobs, errs := m.enqueueAll(ctx, "stop", m.conn.StopUnitContext, units(ms), m.cfg.Target)
	return errors.Join(append(errs, wait(ctx, jobs))...)
}

func units(ms []member) []string {
	out := make([]string, len(ms))
	for i, mb := range ms {
		out[i] = mb.unit
	}
	return out
}
