package main

import "github.com/iisctl/iisctl/iiss"

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
