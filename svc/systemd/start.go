package systemd

import (
	"context"
	"errors"

	"github.com/iisctl/iisctl/svc"
)

// Start queues a start job for every AutoStart service (systemd orders
// them by After= and pulls in what they require), then for the target,
// and waits for each job's JobRemoved signal; then it checks that every
// started service is still up (a service that exited at once is an error).
func (m *Manager) Start(ctx context.Context) error {
	ms, err := m.members(ctx)
	if err != nil {
		return err
	}
	units := autoStart(ms)
	jobs, errs := m.enqueueAll(ctx, "start", m.conn.StartUnitContext, units, m.cfg.Target)
	if err := errors.Join(append(errs, wait(ctx, jobs))...); err != nil {
		return err
	}
	return m.checkRunning(ctx, units)
}

func autoStart(ms []member) []string {
	var units []string
	for _, mb := range ms {
		if mb.start == svc.AutoStart {
			units = append(units, mb.unit)
		}
	}
	return units
}

// enqueueAll queues op for units, then for group (if any). Masked units
// are skipped for start; units systemd does not know are fine to stop.
func (m *Manager) enqueueAll(ctx context.Context, op string, f enqueueFunc, units []string, group string) ([]job, []error) {
	if group != "" {
		units = append(units[:len(units):len(units)], group)
	}
	var jobs []job
	var errs []error
	for _, u := range units {
		j, err := enqueue(ctx, f, op, u)
		switch {
		case err == nil:
			jobs = append(jobs, j)
		case !ignorable(op, err):
			errs = append(errs, err)
		}
	}
	return jobs, errs
}

func ignorable(op string, err error) bool {
	switch busErrName(err) {
	case errUnitMasked:
		return op == "start"
	case errNoSuchUnit:
		return op == "stop"
	}
	return false
}

// checkRunning reports the units a finished start left stopped.
func (m *Manager) checkRunning(ctx context.Context, units []string) error {
	var errs []error
	for _, unit := range units {
		u, err := m.unit(ctx, unit)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if state(u.ActiveState) == svc.Stopped {
			errs = append(errs, &UnitError{unit, u.ActiveState, u.Result, u.ExecMainStat})
		}
	}
	return errors.Join(errs...)
}
