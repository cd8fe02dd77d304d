package ctl

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// SERVICE_RUNS_IN_SYSTEM_PROCESS, the one dwServiceFlags bit.
const runsInSystemProcess = 0x1

var typeNames = map[uint32]string{
	uint32(svc.TypeKernelDriver): "KERNEL_DRIVER", uint32(svc.TypeFileSystemDriver): "FILE_SYSTEM_DRIVER",
	uint32(svc.TypeOwnProcess): "WIN32_OWN_PROCESS", uint32(svc.TypeShareProcess): "WIN32_SHARE_PROCESS",
}

var scStateNames = map[uint32]string{
	1: "STOPPED", 2: "START_PENDING", 3: "STOP_PENDING", 4: "RUNNING",
	5: "CONTINUE_PENDING", 6: "PAUSE_PENDING", 7: "PAUSED",
}

var startTypeCodes = map[string]string{
	"auto": "2   AUTO_START", "demand": "3   DEMAND_START", "disabled": "4   DISABLED",
}

// WriteQueryEx prints one block per service in the shape of Windows'
// `sc queryex` (SERVICE_STATUS_PROCESS), then the local extras: START_TYPE
// as `sc qc` prints it, SINCE (relative to now), RESTARTS and LOG_FILE.
func WriteQueryEx(w io.Writer, list []ServiceStatus, now time.Time) error {
	var b strings.Builder
	for _, s := range list {
		fmt.Fprintf(&b, "\nSERVICE_NAME: %s\n", s.ServiceName)
		fmt.Fprintf(&b, "DISPLAY_NAME: %s\n", s.DisplayName)
		field(&b, "TYPE", fmt.Sprintf("%x  %s", s.ServiceType, typeName(s.ServiceType)))
		field(&b, "STATE", fmt.Sprintf("%d  %s", s.CurrentState, nameOr(scStateNames, s.CurrentState)))
		fmt.Fprintf(&b, "%32s(%s)\n", "", strings.Join(controlFlags(s.ControlsAccepted), ", "))
		field(&b, "WIN32_EXIT_CODE", fmt.Sprintf("%d  (0x%x)", s.Win32ExitCode, s.Win32ExitCode))
		field(&b, "SERVICE_EXIT_CODE", fmt.Sprintf("%d  (0x%x)", s.ServiceSpecificExitCode, s.ServiceSpecificExitCode))
		field(&b, "CHECKPOINT", fmt.Sprintf("0x%x", s.CheckPoint))
		field(&b, "WAIT_HINT", fmt.Sprintf("0x%x", s.WaitHint))
		field(&b, "PID", fmt.Sprint(s.ProcessID))
		flags := ""
		if s.ServiceFlags&runsInSystemProcess != 0 {
			flags = "RUNS_IN_SYSTEM_PROCESS"
		}
		field(&b, "FLAGS", flags)
		if st, ok := startTypeCodes[s.StartType]; ok {
			field(&b, "START_TYPE", st)
		}
		if len(s.Dependencies) > 0 {
			field(&b, "DEPENDENCIES", strings.Join(s.Dependencies, ", "))
		}
		field(&b, "SINCE", since(s.Since, now))
		field(&b, "RESTARTS", fmt.Sprint(s.Restarts))
		field(&b, "LOG_FILE", s.LogFile)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func field(b *strings.Builder, name, value string) {
	line := fmt.Sprintf("        %-19s: %s", name, value)
	b.WriteString(strings.TrimRight(line, " ") + "\n")
}

func typeName(t uint32) string {
	var parts []string
	for _, bit := range []uint32{0x01, 0x02, 0x10, 0x20} {
		if t&bit != 0 {
			parts = append(parts, typeNames[bit])
		}
	}
	if t&0x100 != 0 {
		parts = append(parts, "INTERACTIVE_PROCESS")
	}
	if len(parts) == 0 {
		return "UNKNOWN"
	}
	return strings.Join(parts, " ")
}

func nameOr(m map[uint32]string, v uint32) string {
	if n, ok := m[v]; ok {
		return n
	}
	return "UNKNOWN"
}

// controlFlags renders dwControlsAccepted as sc does.
func controlFlags(c uint32) []string {
	pick := func(bit uint32, yes, no string) string {
		if c&bit != 0 {
			return yes
		}
		return no
	}
	return []string{
		pick(svc.AcceptStop, "STOPPABLE", "NOT_STOPPABLE"),
		pick(0x02, "PAUSABLE", "NOT_PAUSABLE"),
		pick(svc.AcceptShutdown, "ACCEPTS_SHUTDOWN", "IGNORES_SHUTDOWN"),
	}
}

func since(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	ago := now.Sub(t).Truncate(time.Second)
	if ago < 0 {
		ago = 0
	}
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format("2006-01-02 15:04:05 UTC"), ago)
}
