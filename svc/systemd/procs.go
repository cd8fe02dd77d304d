package systemd

import (
	"syscall"

	"github.com/iisctl/iisctl/svc"
)

// killNamed sends SIGKILL to every process under root (a /proc) whose
// comm or argv[0] base name is one of names, except this process.
func killNamed(root string, names []string, signal func(int, syscall.Signal) error) error {
	if len(names) == 0 {
		return nil
	}
	procs, err := svc.ScanProc(root)
	if err != nil {
		return err
	}
	return svc.KillNamed(procs, names, signal)
}
