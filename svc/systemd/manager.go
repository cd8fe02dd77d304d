package systemd

import (
	"context"
	"fmt"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/iisctl/iisctl/svc"
)

// busConn is the part of go-systemd's *dbus.Conn the Manager uses.
type busConn interface {
	GetUnitPropertiesContext(ctx context.Context, unit string) (map[string]any, error)
	GetAllPropertiesContext(ctx context.Context, unit string) (map[string]any, error)
	StartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	StopUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	KillUnitWithTarget(ctx context.Context, name string, who sd.Who, signal int32) error
	ListUnitsByNamesContext(ctx context.Context, units []string) ([]sd.UnitStatus, error)
	Close()
}

// Manager is a svc.Manager backed by a systemd service manager over D-Bus.
type Manager struct {
	cfg  Config
	conn busConn
	now  func() time.Time
}

var _ svc.Manager = (*Manager)(nil)

// New connects to systemd as cfg says, bounded by ctx. The connection
// outlives ctx; Close releases it.
func New(ctx context.Context, cfg Config) (*Manager, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	conn, err := dial(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("systemd: connect %s: %w", busName(cfg), err)
	}
	return newManager(cfg, conn), nil
}

func newManager(cfg Config, conn busConn) *Manager {
	return &Manager{cfg: cfg, conn: conn, now: time.Now}
}

func busName(cfg Config) string {
	if cfg.BusAddress == "" {
		return "system bus"
	}
	return cfg.BusAddress
}

// Close closes the D-Bus connection; it does not stop services.
func (m *Manager) Close() error {
	m.conn.Close()
	return nil
}

// Services reports every Internet service (see members for the order).
func (m *Manager) Services(ctx context.Context) ([]svc.Status, error) {
	ms, err := m.members(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := m.snapshot(ctx, units(ms))
	if err != nil {
		return nil, err
	}
	names, now := m.names(ms), m.now()
	out := make([]svc.Status, len(ms))
	for i, mb := range ms {
		out[i] = toStatus(infos[i], mb, names, now)
	}
	return out, nil
}

// unit reads one unit's properties.
func (m *Manager) unit(ctx context.Context, unit string) (unitInfo, error) {
	p, err := m.conn.GetAllPropertiesContext(ctx, unit)
	if err != nil {
		return unitInfo{}, fmt.Errorf("systemd: %s: %w", unit, wrapBusErr(ctx, err))
	}
	return parseUnit(unit, p), nil
}
