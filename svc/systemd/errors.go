package systemd

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
	"github.com/iisctl/iisctl/svc"
)

// JobError reports a systemd job that ended with a result other than
// "done" (canceled, timeout, failed, dependency, ...).
type JobError struct {
	Op     string // "start" or "stop"
	Unit   string
	Result string // the JobRemoved result
}

func (e *JobError) Error() string {
	return fmt.Sprintf("systemd: %s %s: job %s", e.Op, e.Unit, e.Result)
}

// UnitError reports a unit that a finished start job left not running.
type UnitError struct {
	Unit        string
	ActiveState string
	Result      string
	Status      int32 // ExecMainStatus
}

func (e *UnitError) Error() string {
	return fmt.Sprintf("systemd: %s is %s (result %s, status %d)", e.Unit, e.ActiveState, e.Result, e.Status)
}

// D-Bus errors systemd returns that mean something to callers.
const (
	errNoSuchUnit    = "org.freedesktop.systemd1.NoSuchUnit"
	errLoadFailed    = "org.freedesktop.systemd1.LoadFailed"
	errNoSuchProcess = "org.freedesktop.systemd1.NoSuchProcess"
	errUnitMasked    = "org.freedesktop.systemd1.UnitMasked"
)

func busErrName(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dp *dbus.Error
	if errors.As(err, &dp) {
		return dp.Name
	}
	return ""
}

// wrapBusErr makes a failed call's error match context.DeadlineExceeded
// when ctx ran out, and svc.ErrUnknownService for a missing unit.
func wrapBusErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	switch busErrName(err) {
	case errNoSuchUnit, errLoadFailed:
		return fmt.Errorf("%w: %w", svc.ErrUnknownService, err)
	}
	return err
}
