package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/winbind"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
)

// serve runs iissd with cfg until ctx ends: it builds the backend, the
// IIisServiceControl object and the DCOM server, then serves. SIGHUP
// reloads the users file. ready, if set, is called once listening.
func serve(ctx context.Context, cfg *Config, cfgPath string, stderr io.Writer, ready func(act, obj net.Addr)) error {
	log := newLogger(cfg.Log, stderr)
	cleanTempFiles(cfg, log)
	creds, err := newReloadableCreds(cfg.Security.UsersFile)
	if err != nil {
		return err
	}
	mgr, err := newBackend(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeBackend(mgr, cfg, log)
	onForce(ctx, forceKill(mgr, log))
	disable, err := iiss.NewFileDisableState(cfg.State.Dir)
	if err != nil {
		return err
	}
	if err := disable.Watch(ctx); err != nil { // else every call looks at the file
		log.Warn("the disable switch is looked up on every call", "err", err)
	}
	audit, err := openAudit(cfg.Log.Audit, stderr)
	if err != nil {
		return err
	}
	creds.audit = audit
	local := newLocal(cfg, mgr, disable, audit, log)
	stopControl, err := startControl(ctx, cfg, mgr, disable, creds, audit, log)
	if err != nil {
		return err
	}
	defer stopControl()
	verifier, err := newVerifier(cfg, creds, log)
	if err != nil {
		return err
	}
	if c, ok := verifier.(io.Closer); ok {
		defer c.Close()
	}
	var srv *iiss.Server
	var m *metrics
	if cfg.Metrics.Listen != "" {
		m = newMetrics(mgr, func() (act, obj iiss.ConnStats, ok bool) {
			if srv == nil {
				return act, obj, false
			}
			act, obj = srv.ConnStats()
			return act, obj, true
		})
	}
	sc := withLimits(serverConfig(cfg, creds, log), cfg, m.auditor(audit))
	sc.Verifier = verifier
	if sc.Kerberos, err = newKerberosAcceptor(cfg.Kerberos, creds, domainAdmin(verifier, log)); err != nil {
		return err
	}
	if srv, err = iiss.NewServer(m.meter(local), sc); err != nil {
		return err
	}
	if m != nil {
		_, stopMetrics, err := startMetrics(cfg.Metrics, m, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	actL, objL, err := listen(cfg.Listen)
	if err != nil {
		return err
	}
	go reloadOnHUP(ctx, creds, log)
	go watchUsersFile(ctx, creds, log)
	startAutoServices(ctx, mgr, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(actL, objL) }()
	log.Info("iissd serving", "activation", actL.Addr().String(), "object", objL.Addr().String(),
		"backend", cfg.Backend.Type, "min_auth_level", cfg.Security.MinAuthLevel, "config", cfgPath)
	if ready != nil {
		ready(actL.Addr(), objL.Addr())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("iissd shutting down: closing the listeners, waiting up to 10s for calls in progress, " +
		"then stopping the supervised services; a second SIGTERM or SIGINT forces the exit")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func authLevel(s string) iiss.AuthLevel {
	switch s {
	case "connect":
		return iiss.AuthLevelConnect
	case "integrity":
		return iiss.AuthLevelIntegrity
	}
	return iiss.AuthLevelPrivacy
}

// newVerifier checks NTLM responses: against the users file, and with
// [domain] set, logons naming the domain through its DC (internal/winbind).
func newVerifier(cfg *Config, creds ntlm.CredentialSource, log *slog.Logger) (ntlm.Verifier, error) {
	local := ntlm.LocalVerifier(creds)
	if cfg.Domain.Name == "" {
		return local, nil
	}
	return winbind.New(winbind.Config{
		Domain: cfg.Domain.Name, DNSDomain: cfg.Domain.DNSName, AdminGroups: cfg.Security.AdminGroups,
		NTLMAuth: cfg.Domain.NTLMAuth, Wbinfo: cfg.Domain.Wbinfo,
		MaxConcurrent: cfg.Domain.MaxConcurrent, Timeout: cfg.Domain.Timeout.Duration,
		Fallback: local, Logger: log,
	})
}

// domainAdmin decides Kerberos callers by the PAC's SIDs against
// [security] admin_groups, resolved through winbind ([MS-PAC] 2.5); nil
// without [domain].
func domainAdmin(v ntlm.Verifier, log *slog.Logger) func([]string) bool {
	wb, ok := v.(*winbind.Verifier)
	if !ok {
		return nil
	}
	return func(sids []string) bool {
		admin, err := wb.AdminBySIDs(context.Background(), sids)
		if err != nil {
			log.Warn("kerberos: admin_groups not resolved; the caller is no administrator", "err", err)
		}
		return admin
	}
}

// serverConfig is the iiss.ServerConfig cfg describes.
func serverConfig(cfg *Config, creds ntlm.CredentialSource, log *slog.Logger) iiss.ServerConfig {
	return iiss.ServerConfig{
		Users:           creds,
		NetBIOSComputer: cfg.Security.NetBIOSComputer, NetBIOSDomain: cfg.Security.NetBIOSDomain,
		DNSComputer: cfg.Security.DNSComputer, DNSDomain: cfg.Security.DNSDomain,
		ActivationAddr: cfg.Listen.Activation, ObjectAddr: cfg.Listen.Object, Names: cfg.Listen.Names,
		MinAuthLevel:    authLevel(cfg.Security.MinAuthLevel),
		PingPeriod:      cfg.Control.PingPeriod.Duration,
		MaxStatusBuffer: cfg.Control.StatusMaxBuffer,
		Logger:          log,
	}
}

func listen(c ListenConfig) (act, obj net.Listener, err error) {
	if act, err = net.Listen("tcp", c.Activation); err != nil {
		return nil, nil, listenError(c.Activation, err)
	}
	if obj, err = net.Listen("tcp", c.Object); err != nil {
		act.Close()
		return nil, nil, listenError(c.Object, err)
	}
	return act, obj, nil
}

// errPrivilegedPort says why binding port 135 failed.
var errPrivilegedPort = errors.New("ports below 1024 need root or CAP_NET_BIND_SERVICE")

func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("listen on %s: %w: %w", addr, errPrivilegedPort, err)
	}
	return fmt.Errorf("listen on %s: %w", addr, err)
}

func newLocal(cfg *Config, mgr svc.Manager, disable iiss.DisableState, audit iiss.Auditor, log *slog.Logger) *iiss.Local {
	opts := iiss.LocalOptions{Disable: disable, Auditor: audit, Logger: log, AuditFailOpen: cfg.Log.AuditFailOpen}
	if cfg.Control.Reboot {
		opts.Rebooter = commandRebooter(cfg.Control.RebootCommand, log)
	}
	return iiss.NewLocal(mgr, opts)
}

func openAudit(dest string, stderr io.Writer) (iiss.Auditor, error) {
	if dest == "-" || dest == "" {
		return iiss.NewJSONAuditor(stderr), nil
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return iiss.NewJSONAuditor(f), nil
}

func reloadOnHUP(ctx context.Context, creds *reloadableCreds, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reloadUsers(creds, log, "SIGHUP")
		}
	}
}

// hostPort renders an address for the iisctl command line: bare host for
// port 135, host:port otherwise.
func hostPort(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "135" {
		return host
	}
	return host + ":" + port
}

// startAutoServices starts the automatic services when iissd is their
// service manager (the supervisor), as the SCM does at boot; systemd
// starts its units itself.
func startAutoServices(ctx context.Context, mgr svc.Manager, log *slog.Logger) {
	if _, ok := mgr.(*supervisor.Manager); !ok {
		return
	}
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := mgr.Start(sctx); err != nil {
			log.Error("starting the automatic services", "err", err)
			return
		}
		log.Info("automatic services started")
	}()
}
