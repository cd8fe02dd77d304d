package systemd

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// Kill queues a stop job for every service (so Restart= does not bring
// it back and a pending start is cancelled), sends SIGKILL to every
// process of every service (KillUnit "all" 9), kills the KillExtra
// processes, and waits for the stop jobs.
func (m *Manager) Kill(ctx context.Context) error {
	ms, err := m.members(ctx)
	if err != nil {
		return err
	}
	us := units(ms)
	jobs, errs := m.enqueueAll(ctx, "stop", m.conn.StopUnitContext, us, "")
	for _, u := range us {
		if err := m.killUnit(ctx, u); err != nil {
			errs = append(errs, err)
		}
	}
	if err := killNamed(m.cfg.procRoot(), m.cfg.KillExtra, m.cfg.signal()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(append(errs, wait(ctx, jobs))...)
}

// killUnit sends SIGKILL to all of unit's processes; a unit without
// processes is not an error.
func (m *Manager) killUnit(ctx context.Context, unit string) error {
	err := m.conn.KillUnitWithTarget(ctx, unit, sd.All, int32(syscall.SIGKILL))
	switch {
	case err == nil:
		return nil
	case busErrName(err) == errNoSuchProcess, busErrName(err) == errNoSuchUnit:
		return nil
	}
	return fmt.Errorf("systemd: kill %s: %w", unit, wrapBusErr(ctx, err))
}
