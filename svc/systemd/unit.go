package systemd

import (
	"math"
	"time"
)

// unitInfo is the part of a unit's D-Bus properties (org.freedesktop.
// systemd1.Unit and .Service) that Services maps onto svc.Status.
type unitInfo struct {
	Unit          string // Id, e.g. "web.service"
	Description   string
	LoadState     string // loaded, not-found, masked, error, ...
	ActiveState   string // active, activating, deactivating, inactive, failed, ...
	SubState      string
	UnitFileState string // enabled, disabled, static, masked, ...
	Result        string // Service.Result: success, exit-code, signal, timeout, ...
	ExecMainCode  int32  // CLD_EXITED (1), CLD_KILLED (2), CLD_DUMPED (3)
	ExecMainStat  int32  // exit status or signal number
	MainPID       uint32
	InactiveExit  time.Time // InactiveExitTimestamp: a start began
	ActiveExit    time.Time // ActiveExitTimestamp: a stop began
	TimeoutStart  time.Duration
	TimeoutStop   time.Duration
	StateChange   time.Time // StateChangeTimestamp: the last ActiveState/SubState change
	NRestarts     uint32    // Service.NRestarts: automatic restarts (Restart=)
	Requires      []string  // Requires + Requisite + BindsTo
}

// parseUnit reads a GetAll("") property map. Missing or mistyped
// properties stay zero: a target has no Service properties.
func parseUnit(unit string, p map[string]any) unitInfo {
	return unitInfo{
		Unit:          unit,
		Description:   prop[string](p, "Description"),
		LoadState:     prop[string](p, "LoadState"),
		ActiveState:   prop[string](p, "ActiveState"),
		SubState:      prop[string](p, "SubState"),
		UnitFileState: prop[string](p, "UnitFileState"),
		Result:        prop[string](p, "Result"),
		ExecMainCode:  prop[int32](p, "ExecMainCode"),
		ExecMainStat:  prop[int32](p, "ExecMainStatus"),
		MainPID:       prop[uint32](p, "MainPID"),
		InactiveExit:  usecTime(prop[uint64](p, "InactiveExitTimestamp")),
		ActiveExit:    usecTime(prop[uint64](p, "ActiveExitTimestamp")),
		TimeoutStart:  usecDuration(prop[uint64](p, "TimeoutStartUSec")),
		TimeoutStop:   usecDuration(prop[uint64](p, "TimeoutStopUSec")),
		StateChange:   usecTime(prop[uint64](p, "StateChangeTimestamp")),
		NRestarts:     prop[uint32](p, "NRestarts"),
		Requires: concat(prop[[]string](p, "Requires"), prop[[]string](p, "Requisite"),
			prop[[]string](p, "BindsTo")),
	}
}

func prop[T any](p map[string]any, name string) T {
	v, _ := p[name].(T)
	return v
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// usecTime converts a CLOCK_REALTIME timestamp in µs; 0 means never.
func usecTime(us uint64) time.Time {
	if us == 0 || us > math.MaxInt64 {
		return time.Time{}
	}
	return time.UnixMicro(int64(us))
}

// usecDuration converts a µs timeout; systemd's "infinity" is MaxUint64.
func usecDuration(us uint64) time.Duration {
	if us >= uint64(math.MaxInt64/int64(time.Microsecond)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(us) * time.Microsecond
}
