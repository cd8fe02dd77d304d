package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/iisctl/iisctl/internal/localconf"
)

// Config is iissd's configuration file (TOML). See docs/iissd.md and
// example/iissd.toml for every key.
type Config struct {
	Listen   ListenConfig    `toml:"listen"`
	Security SecurityConfig  `toml:"security"`
	Limits   LimitsConfig    `toml:"limits"`
	State    StateConfig     `toml:"state"`
	Log      LogConfig       `toml:"log"`
	Control  ControlConfig   `toml:"control"`
	Backend  BackendConfig   `toml:"backend"`
	Domain   DomainConfig    `toml:"domain"`
	Kerberos KerberosConfig  `toml:"kerberos"`
	Metrics  MetricsConfig   `toml:"metrics"`
	Services []ServiceConfig `toml:"service"`
}

// ListenConfig says where the activator and the object exporter listen.
type ListenConfig struct {
	// Activation is the activator and OXID resolver ([MS-DCOM] 1.9: TCP 135).
	Activation string `toml:"activation"`
	// Object is the object exporter; port 0 picks a dynamic port, a fixed
	// one suits firewalls.
	Object string `toml:"object"`
	// Names are extra host names advertised in string bindings, besides
	// the address each client connected to (NetBIOS name, FQDN, NAT address).
	Names []string `toml:"names"`
}

// SecurityConfig is authentication and authorization.
type SecurityConfig struct {
	// UsersFile holds NT hashes: password-equivalent, mode 0600 enforced.
	UsersFile string `toml:"users_file"`
	// MinAuthLevel for calls on the object: connect, integrity or privacy
	// (default privacy, as [MS-IISS] 2.1 requires).
	MinAuthLevel string `toml:"min_auth_level"`
	// Names the NTLM challenge announces ([MS-NLMP] 2.2.2.1).
	NetBIOSComputer string `toml:"netbios_computer"`
	NetBIOSDomain   string `toml:"netbios_domain"`
	DNSComputer     string `toml:"dns_computer"`
	DNSDomain       string `toml:"dns_domain"`
	// AdminGroups are domain groups ("CORP\\IIS Operators", or SIDs)
	// whose members are administrators, beside the users file's admins.
	// Membership is resolved at each logon. Needs [domain] name.
	AdminGroups []string `toml:"admin_groups"`
}

// DomainConfig makes iissd accept domain logons (docs/domain.md): NTLM
// logons naming the domain are validated by its domain controller through
// winbind's ntlm_auth, never against a local hash.
type DomainConfig struct {
	// Name is the domain's NetBIOS name (CORP); empty: no domain logons.
	Name string `toml:"name"`
	// DNSName is its DNS name (corp.example.com).
	DNSName string `toml:"dns_name"`
	// NTLMAuth and Wbinfo are the winbind helpers' command lines
	// (default ["ntlm_auth"] and ["wbinfo"]).
	NTLMAuth []string `toml:"ntlm_auth"`
	Wbinfo   []string `toml:"wbinfo"`
	// MaxConcurrent bounds the logons with the DC at once (default 4);
	// Timeout bounds each one's wait for a slot and an answer (default 10s).
	MaxConcurrent int      `toml:"max_concurrent"`
	Timeout       duration `toml:"timeout"`
}

// StateConfig is where iissd keeps what survives restarts (the disable switch).
type StateConfig struct {
	Dir string `toml:"dir"`
}

// LogConfig is logging and auditing.
type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
	// Audit receives one JSON line per state-changing call, apart from
	// the operational log: default state.dir/audit.log; "-" is stderr.
	Audit string `toml:"audit"`
	// AuditFailOpen lets state-changing calls run when the audit trail
	// cannot be written; by default they are refused.
	AuditFailOpen bool `toml:"audit_fail_open"`
}

// ControlConfig tunes the [MS-IISS] methods.
type ControlConfig struct {
	// KillExtra names extra processes Kill terminates ([MS-IISS] 3.1.4.5).
	KillExtra []string `toml:"kill_extra"`
	// Reboot enables IIisServiceControl::Reboot; off, it returns E_NOTIMPL
	// as current Windows does.
	Reboot bool `toml:"reboot"`
	// RebootCommand runs for an enabled Reboot (default systemctl reboot).
	RebootCommand []string `toml:"reboot_command"`
	// StatusMaxBuffer bounds the Status buffer a client may ask for.
	StatusMaxBuffer uint32 `toml:"status_max_buffer"`
	// PingPeriod is the DCOM ping period (default 120s).
	PingPeriod duration `toml:"ping_period"`
}

// BackendConfig picks the service backend.
type BackendConfig struct {
	Type    string        `toml:"type"` // supervisor (default) or systemd
	Systemd SystemdConfig `toml:"systemd"`
	LogDir  string        `toml:"log_dir"` // supervisor: service output
}

// SystemdConfig selects the units that are the Internet services (see
// docs/systemd.md and the svc/systemd package documentation).
type SystemdConfig struct {
	Bus    string   `toml:"bus"`    // D-Bus address; empty is the system bus
	Target string   `toml:"target"` // e.g. iis.target
	Units  []string `toml:"units"`  // or an explicit list
	// Demand lists units of Units that Start leaves alone (DemandStart).
	Demand []string `toml:"demand"`
	// Prefix is stripped from unit names to form service names, and added
	// to short names in Units and Demand ("iis-": iis-w3svc.service is "w3svc").
	Prefix string `toml:"prefix"`
	// Direct says Bus is systemd's own private socket
	// (unix:path=/run/systemd/private): no bus daemon.
	Direct bool `toml:"direct"`
}

// ServiceConfig is one supervised service.
type ServiceConfig struct {
	Name        string            `toml:"name"`
	DisplayName string            `toml:"display_name"`
	Command     []string          `toml:"command"`
	Env         map[string]string `toml:"env"`
	User        string            `toml:"user"`
	Dir         string            `toml:"dir"`
	Start       string            `toml:"start"` // auto, demand, disabled
	DependsOn   []string          `toml:"depends_on"`
	StopSignal  string            `toml:"stop_signal"`
	StopTimeout duration          `toml:"stop_timeout"`
	Restart     string            `toml:"restart"`     // no, on-failure, always
	StartCheck  string            `toml:"start_check"` // TCP address that must accept
}

// duration reads "30s"-style strings.
type duration struct{ time.Duration }

// MarshalText writes d back as "30s" (the demo saves its configuration).
func (d duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	d.Duration = v
	return err
}

// defaults fills what the file left out.
func (c *Config) defaults() {
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	host, _ := os.Hostname()
	set(&c.Listen.Activation, "0.0.0.0:135")
	set(&c.Listen.Object, "0.0.0.0:0")
	set(&c.Security.MinAuthLevel, "privacy")
	set(&c.Security.UsersFile, localconf.DefaultUsersFile)
	set(&c.Security.NetBIOSComputer, upperNetBIOS(host))
	set(&c.Security.NetBIOSDomain, strings.ToUpper(c.Domain.Name)) // a domain member announces its domain
	set(&c.Security.DNSDomain, strings.ToLower(c.Domain.DNSName))
	set(&c.Security.NetBIOSDomain, "WORKGROUP")
	set(&c.Security.DNSComputer, host)
	set(&c.State.Dir, localconf.DefaultStateDir)
	set(&c.Log.Level, "info")
	set(&c.Log.Format, "text")
	set(&c.Log.Audit, filepath.Join(c.State.Dir, "audit.log"))
	set(&c.Backend.Type, "supervisor")
	set(&c.Backend.LogDir, filepath.Join(c.State.Dir, "logs"))
	if c.Control.StatusMaxBuffer == 0 {
		c.Control.StatusMaxBuffer = 1 << 20
	}
	if len(c.Control.RebootCommand) == 0 {
		c.Control.RebootCommand = []string{"systemctl", "reboot"}
	}
}

func upperNetBIOS(host string) string {
	b := []byte(host)
	for i, ch := range b {
		if ch == '.' {
			b = b[:i]
			break
		}
		if 'a' <= ch && ch <= 'z' {
			b[i] = ch - 32
		}
	}
	if len(b) > 15 {
		b = b[:15]
	}
	return string(b)
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("config %s: unknown key %s", path, und[0])
	}
	c.defaults()
	return &c, c.validate()
}

func (c *Config) validate() error {
	if _, ok := logLevels[c.Log.Level]; !ok {
		return fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	if !slices.Contains(logFormats, c.Log.Format) {
		return fmt.Errorf("log.format %q: want text or json", c.Log.Format)
	}
	switch c.Security.MinAuthLevel {
	case "connect", "integrity", "privacy":
	default:
		return fmt.Errorf("min_auth_level %q: want connect, integrity or privacy", c.Security.MinAuthLevel)
	}
	if len(c.Security.AdminGroups) > 0 && c.Domain.Name == "" {
		return errors.New("security.admin_groups needs [domain] name (the domain whose groups they are)")
	}
	if c.Domain.MaxConcurrent < 0 || c.Domain.Timeout.Duration < 0 {
		return errors.New("domain.max_concurrent and domain.timeout must not be negative")
	}
	if err := c.Kerberos.validate(); err != nil {
		return err
	}
	if err := c.Metrics.validate(); err != nil {
		return err
	}
	switch c.Backend.Type {
	case "supervisor":
		if len(c.Services) == 0 {
			return errors.New("the supervisor backend needs at least one [[service]]")
		}
	case "systemd":
		if c.Backend.Systemd.Target == "" && len(c.Backend.Systemd.Units) == 0 {
			return errors.New("the systemd backend needs backend.systemd.target or backend.systemd.units")
		}
	default:
		return fmt.Errorf("backend type %q: want supervisor or systemd", c.Backend.Type)
	}
	return nil
}
