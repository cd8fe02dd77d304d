package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
	"github.com/iisctl/iisctl/svc/systemd"
)

// newBackend builds the svc.Manager the configuration names.
func newBackend(ctx context.Context, cfg *Config, log *slog.Logger) (svc.Manager, error) {
	if cfg.Backend.Type == "systemd" {
		s := cfg.Backend.Systemd
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return systemd.New(cctx, systemd.Config{
			BusAddress: s.Bus, Direct: s.Direct, Target: s.Target, Units: s.Units, Demand: s.Demand,
			Prefix: s.Prefix, KillExtra: cfg.Control.KillExtra,
		})
	}
	if err := os.MkdirAll(cfg.Backend.LogDir, 0o750); err != nil {
		return nil, fmt.Errorf("service log directory: %w", err)
	}
	services := make([]supervisor.Service, 0, len(cfg.Services))
	for _, sc := range cfg.Services {
		s, err := supervisedService(sc)
		if err != nil {
			return nil, err
		}
		services = append(services, s)
	}
	return supervisor.New(supervisor.Config{Services: services, LogDir: cfg.Backend.LogDir, KillExtra: cfg.Control.KillExtra, Logger: log,
		StateDir: cfg.State.Dir})
}

func supervisedService(sc ServiceConfig) (supervisor.Service, error) {
	start, err := svc.ParseStartType(sc.Start)
	if err != nil {
		return supervisor.Service{}, fmt.Errorf("service %s: %w", sc.Name, err)
	}
	restart, err := supervisor.ParseRestartPolicy(sc.Restart)
	if err != nil {
		return supervisor.Service{}, fmt.Errorf("service %s: %w", sc.Name, err)
	}
	sig, err := parseSignal(sc.StopSignal)
	if err != nil {
		return supervisor.Service{}, fmt.Errorf("service %s: %w", sc.Name, err)
	}
	env := make([]string, 0, len(sc.Env))
	for k, v := range sc.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return supervisor.Service{
		Name: sc.Name, DisplayName: sc.DisplayName, Command: sc.Command, Env: env, Dir: sc.Dir, User: sc.User,
		StartType: start, DependsOn: sc.DependsOn, StopSignal: sig, StopTimeout: sc.StopTimeout.Duration,
		StartCheck: sc.StartCheck, Restart: restart,
	}, nil
}

var signals = map[string]syscall.Signal{
	"": 0, "TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "KILL": syscall.SIGKILL,
}

func parseSignal(s string) (syscall.Signal, error) {
	if len(s) > 3 && s[:3] == "SIG" {
		s = s[3:]
	}
	sig, ok := signals[s]
	if !ok {
		return 0, fmt.Errorf("unknown stop_signal %q", s)
	}
	return sig, nil
}

// commandRebooter runs cmd after the grace period, in the background, as
// an enabled IIisServiceControl::Reboot asks ([MS-IISS] 3.1.4.3).
func commandRebooter(cmd []string, log *slog.Logger) iiss.Rebooter {
	return func(_ context.Context, grace time.Duration, force bool) error {
		if _, err := exec.LookPath(cmd[0]); err != nil {
			return fmt.Errorf("reboot command: %w", err)
		}
		log.Warn("reboot requested", "grace", grace, "force", force, "command", cmd)
		time.AfterFunc(grace, func() {
			c := exec.Command(cmd[0], cmd[1:]...)
			c.Stdout, c.Stderr = os.Stderr, os.Stderr
			if err := c.Run(); err != nil {
				log.Error("reboot command failed", "err", err)
			}
		})
		return nil
	}
}
