package supervisor

import "syscall"

// SetSignal replaces how m signals processes (syscall.Kill).
func SetSignal(m *Manager, f func(pid int, sig syscall.Signal) error) { m.signal = f }
