package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/iisctl/iisctl/iiss"
)

// LimitsConfig is the [limits] section: what unauthenticated clients may
// cost and how fast passwords can be guessed (zero values: defaults; see
// iiss.Limits and docs/iissd.md).
type LimitsConfig struct {
	MaxConns         int      `toml:"max_conns"`
	AdminReserve     int      `toml:"admin_reserve"`
	MaxConnsPerAddr  int      `toml:"max_conns_per_addr"`
	HandshakeTimeout duration `toml:"handshake_timeout"`
	IdleTimeout      duration `toml:"idle_timeout"`
	LogonDelay       duration `toml:"logon_delay"`
	LogonMaxDelay    duration `toml:"logon_max_delay"`
	LockoutWindow    duration `toml:"lockout_window"`
	LockoutThreshold int      `toml:"lockout_threshold"`
}

// withLimits adds [limits] and the audit trail of refused logons to the
// server's configuration.
func withLimits(sc iiss.ServerConfig, cfg *Config, audit iiss.Auditor) iiss.ServerConfig {
	c := cfg.Limits
	sc.Limits = iiss.Limits{
		MaxConns: c.MaxConns, AdminReserve: c.AdminReserve, MaxConnsPerAddr: c.MaxConnsPerAddr,
		HandshakeTimeout: c.HandshakeTimeout.Duration, IdleTimeout: c.IdleTimeout.Duration,
		LogonDelay: c.LogonDelay.Duration, LogonMaxDelay: c.LogonMaxDelay.Duration,
		LockoutWindow: c.LockoutWindow.Duration, LockoutThreshold: c.LockoutThreshold,
	}
	sc.Auditor = audit
	return sc
}

// staleTempAge: a temporary file older than this is a leftover of a
// killed writer (iissd disable, user add), not one being written.
const staleTempAge = 10 * time.Second

// cleanTempFiles removes the temporary files a killed `iissd disable` or
// `iissd user add/del` leaves (the atomic writes' .disabled-* in the
// state directory, .USERS.tmp* beside the users file), and reports them.
func cleanTempFiles(cfg *Config, log *slog.Logger) []string {
	var removed []string
	clean := func(dir, pattern string) {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range matches {
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < staleTempAge {
				continue
			}
			if err := os.Remove(p); err == nil {
				removed = append(removed, p)
				log.Info("removed a temporary file an interrupted command left", "path", p)
			}
		}
	}
	clean(cfg.State.Dir, ".disabled-*")
	users := cfg.Security.UsersFile
	clean(filepath.Dir(users), "."+filepath.Base(users)+".tmp*")
	return removed
}
