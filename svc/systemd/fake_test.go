package systemd

import (
	"context"
	"errors"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"github.com/iisctl/iisctl/svc"
)

// fakeBus answers like systemd for a fixed set of units; jobs end "done".
type fakeBus struct {
	errs     map[string]string // unit -> D-Bus error name for Start/Stop
	killErrs map[string]string // unit -> D-Bus error name for Kill
	killed   []string
}

func busErr(errs map[string]string, unit string) error {
	if n := errs[unit]; n != "" {
		return dbus.Error{Name: n}
	}
	return nil
}

func (f *fakeBus) GetUnitPropertiesContext(context.Context, string) (map[string]any, error) {
	return map[string]any{"LoadState": "loaded"}, nil
}

func (f *fakeBus) GetAllPropertiesContext(_ context.Context, u string) (map[string]any, error) {
	return map[string]any{"ActiveState": "active", "SubState": "running", "MainPID": uint32(5)}, nil
}

func (f *fakeBus) job(u string, ch chan<- string) (int, error) {
	if err := busErr(f.errs, u); err != nil {
		return 0, err
	}
	ch <- "done"
	return 1, nil
}

func (f *fakeBus) StartUnitContext(_ context.Context, u, _ string, ch chan<- string) (int, error) {
	return f.job(u, ch)
}

func (f *fakeBus) StopUnitContext(_ context.Context, u, _ string, ch chan<- string) (int, error) {
	return f.job(u, ch)
}

func (f *fakeBus) KillUnitWithTarget(_ context.Context, u string, who sd.Who, sig int32) error {
	f.killed = append(f.killed, u)
	return busErr(f.killErrs, u)
}

func (f *fakeBus) ListUnitsByNamesContext(context.Context, []string) ([]sd.UnitStatus, error) {
	return nil, errors.New("not used")
}

func (f *fakeBus) Close() {}

func TestStartSkipsMaskedUnits(t *testing.T) {
	f := &fakeBus{errs: map[string]string{"m.service": errUnitMasked}}
	m := newManager(Config{Units: []string{"a", "m"}}, f)
	if err := m.Start(context.Background()); err != nil {
		t.Errorf("Start with a masked unit: %v", err)
	}
}

func TestKillIgnoresUnitsWithoutProcesses(t *testing.T) {
	f := &fakeBus{killErrs: map[string]string{"idle.service": errNoSuchProcess}}
	m := newManager(Config{Units: []string{"a", "idle"}, ProcRoot: t.TempDir()}, f)
	if err := m.Kill(context.Background()); err != nil {
		t.Errorf("Kill: %v", err)
	}
	if len(f.killed) != 2 {
		t.Errorf("killed %v", f.killed)
	}
}

func TestKillReportsOtherErrors(t *testing.T) {
	f := &fakeBus{killErrs: map[string]string{"a.service": "org.freedesktop.DBus.Error.AccessDenied"}}
	m := newManager(Config{Units: []string{"a"}}, f)
	if err := m.Kill(context.Background()); err == nil {
		t.Error("Kill hid an access-denied error")
	}
}

func TestStartUnknownUnit(t *testing.T) {
	f := &fakeBus{errs: map[string]string{"x.service": errNoSuchUnit}}
	m := newManager(Config{Units: []string{"x"}}, f)
	if err := m.Start(context.Background()); !errors.Is(err, svc.ErrUnknownService) {
		t.Errorf("Start = %v, want ErrUnknownService", err)
	}
	if err := m.Stop(context.Background()); err != nil {
		t.Errorf("Stop of an unknown unit: %v", err)
	}
}

func TestNewRejectsEmptyConfig(t *testing.T) {
	if _, err := New(context.Background(), Config{}); err == nil {
		t.Error("New accepted a config without units")
	}
}
