package promiis

import (
	"fmt"

	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/svc"
)

// States are the service states ([MS-SCMR] 2.2.47) in label order.
var States = []svc.State{svc.Stopped, svc.StartPending, svc.StopPending, svc.Running,
	svc.ContinuePending, svc.PausePending, svc.Paused}

// StateLabel is the state label value: "running", "stopped",
// "start_pending", ... and "unknown" for a value outside the spec.
func StateLabel(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "start_pending"
	case svc.StopPending:
		return "stop_pending"
	case svc.Running:
		return "running"
	case svc.ContinuePending:
		return "continue_pending"
	case svc.PausePending:
		return "pause_pending"
	case svc.Paused:
		return "paused"
	}
	return "unknown"
}

// ResultLabel is an HRESULT's label value: its symbolic name (S_OK,
// E_ACCESSDENIED, ...) or 0x%08X for a code without one. The set is
// bounded by what a server returns.
func ResultLabel(h hresult.HRESULT) string {
	if n := h.Name(); n != "" {
		return n
	}
	return fmt.Sprintf("0x%08X", uint32(h))
}
