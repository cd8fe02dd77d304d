package supervisor

import (
	"fmt"

	"github.com/iisctl/iisctl/svc"
)

// Proc is a process as Kill's KillExtra matching sees it.
type Proc = svc.Proc

// ScanProc lists the processes in /proc.
func ScanProc() ([]Proc, error) { return svc.ScanProc("") }

// killExtraProcs SIGKILLs the processes named in KillExtra, never iissd.
func (m *Manager) killExtraProcs() error {
	if len(m.killExtra) == 0 {
		return nil
	}
	procs, err := m.listProcs()
	if err != nil {
		return fmt.Errorf("supervisor: kill extra processes: %w", err)
	}
	return svc.KillNamed(procs, m.killExtra, m.signal)
}
