package systemd

import (
	"context"
	"fmt"

	sd "github.com/coreos/go-systemd/v22/dbus"
)

// snapshotTries bounds how often snapshot re-reads units that changed
// while it read them.
const snapshotTries = 5

// snapshot reads every unit's properties as of one moment. Reading units
// one call at a time can mix states from before and after a transition
// (web still activating, worker already activating), so the states are
// checked against one ListUnitsByNames call, which systemd answers
// atomically, and everything is re-read if any unit moved meanwhile.
func (m *Manager) snapshot(ctx context.Context, units []string) ([]unitInfo, error) {
	var infos []unitInfo
	for range snapshotTries {
		var err error
		if infos, err = m.readUnits(ctx, units); err != nil {
			return nil, err
		}
		ok, err := m.unchanged(ctx, units, infos)
		if err != nil || ok {
			return infos, err
		}
	}
	return infos, nil // still changing: the last reading is the best one
}

func (m *Manager) readUnits(ctx context.Context, units []string) ([]unitInfo, error) {
	out := make([]unitInfo, len(units))
	for i, u := range units {
		info, err := m.unit(ctx, u)
		if err != nil {
			return nil, err
		}
		out[i] = info
	}
	return out, nil
}

// unchanged reports whether the units are still in the states infos say.
func (m *Manager) unchanged(ctx context.Context, units []string, infos []unitInfo) (bool, error) {
	if len(units) < 2 {
		return true, nil // a single read is consistent with itself
	}
	now, err := m.conn.ListUnitsByNamesContext(ctx, units)
	if err != nil {
		return false, fmt.Errorf("systemd: list units: %w", wrapBusErr(ctx, err))
	}
	return sameStates(now, infos), nil
}

func sameStates(now []sd.UnitStatus, infos []unitInfo) bool {
	state := make(map[string]string, len(now))
	for _, u := range now {
		state[u.Name] = u.ActiveState + "/" + u.SubState
	}
	for _, info := range infos {
		if state[info.Unit] != info.ActiveState+"/"+info.SubState {
			return false
		}
	}
	return true
}
