package systemd

import (
	"math"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// member is one Internet service: a unit and whether Start starts it.
type member struct {
	unit  string
	start svc.StartType
}

// toStatus maps a unit's properties onto SERVICE_STATUS_PROCESS (see the
// tables in doc.go). names maps the Internet services' unit names to
// service names; now drives the pending CheckPoint.
func toStatus(u unitInfo, m member, names map[string]string, now time.Time) svc.Status {
	st := svc.Status{
		Name:         names[m.unit],
		DisplayName:  u.Description,
		Type:         svc.TypeOwnProcess,
		State:        state(u.ActiveState),
		StartType:    startType(u, m.start),
		Dependencies: dependencies(u.Requires, names),
		Since:        u.StateChange,
		Restarts:     u.NRestarts,
		LogFile:      "journalctl -u " + m.unit,
	}
	if st.DisplayName == "" {
		st.DisplayName = st.Name
	}
	switch st.State {
	case svc.Running:
		st.ControlsAccepted = svc.AcceptStop | svc.AcceptShutdown
		st.ProcessID = u.MainPID
	case svc.StartPending:
		st.ProcessID = u.MainPID
		st.CheckPoint, st.WaitHint = pending(u.InactiveExit, u.TimeoutStart, now)
	case svc.StopPending:
		st.ProcessID = u.MainPID
		st.CheckPoint, st.WaitHint = pending(u.ActiveExit, u.TimeoutStop, now)
	case svc.Stopped:
		st.Win32ExitCode, st.ServiceSpecificExitCode = stoppedCodes(u)
	}
	return st
}

// state maps ActiveState onto dwCurrentState ([MS-SCMR] 2.2.47).
func state(active string) svc.State {
	switch active {
	case "active", "reloading", "refreshing":
		return svc.Running
	case "activating":
		return svc.StartPending
	case "deactivating":
		return svc.StopPending
	default: // inactive, failed, maintenance, or not loaded
		return svc.Stopped
	}
}

func stoppedCodes(u unitInfo) (win32, specific uint32) {
	if u.LoadState == "not-found" {
		return svc.ExitFileNotFound, 0
	}
	return exitCodes(u.Result, u.ExecMainStat)
}

// startType: a masked unit is Disabled; otherwise membership decides.
func startType(u unitInfo, configured svc.StartType) svc.StartType {
	switch {
	case u.LoadState == "masked", u.UnitFileState == "masked", u.UnitFileState == "masked-runtime":
		return svc.Disabled
	case u.LoadState == "not-found":
		return svc.Disabled
	}
	return configured
}

// dependencies lists the units u requires that are themselves Internet
// services, as service names.
func dependencies(requires []string, names map[string]string) []string {
	var deps []string
	for _, r := range requires {
		if n, ok := names[r]; ok {
			deps = append(deps, n)
		}
	}
	return deps
}

// pending gives a CheckPoint that rises by one per second since the
// pending stretch began (starting at 1) and the unit's timeout as WaitHint
// in ms. The stretch begins when the unit left inactive (start) or
// active (stop): StateChangeTimestamp would restart it at every SubState.
func pending(since time.Time, timeout time.Duration, now time.Time) (checkPoint, waitHint uint32) {
	checkPoint = 1
	if !since.IsZero() && now.After(since) {
		checkPoint += uint32(min(now.Sub(since)/time.Second, math.MaxUint32-1))
	}
	return checkPoint, uint32(min(timeout.Milliseconds(), math.MaxUint32))
}
