package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/ctl"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/svc"
)

// maxSocketPath is what sun_path holds (unix(7)), less its NUL.
const maxSocketPath = 107

// startControl serves the local control channel (internal/ctl) on
// STATE_DIR/iissd.sock until ctx ends: `iissd status`, disable/enable,
// user add/del/list and reload, applied to this server at once. A state
// directory whose path is too long for a socket leaves the channel off
// (logged); another iissd on the same state directory is an error.
func startControl(ctx context.Context, cfg *Config, mgr svc.Manager, disable ctl.Switch, creds *reloadableCreds,
	audit iiss.Auditor, log *slog.Logger) (stop func(), err error) {
	path := ctl.SocketPath(cfg.State.Dir)
	if len(path) > maxSocketPath {
		log.Error("local control channel off: the socket path is too long (state.dir)", "path", path)
		return func() {}, nil
	}
	srv, err := ctl.Listen(ctl.Config{
		Path: path, Services: mgr.Services, Switch: disable, Users: liveUsers{creds},
		Reload: func() error {
			if err := creds.reload(); err != nil {
				return err
			}
			log.Info("users file reloaded", "path", creds.path, "why", "control socket", "accounts", len(creds.cur.Load().List()))
			return nil
		},
		Logger: log, Auditor: audit,
	})
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx); err != nil {
			log.Error("local control channel", "err", err)
		}
	}()
	log.Info("local control channel", "socket", path)
	return func() { srv.Close(); <-done }, nil
}

// liveUsers edits the users file of the running server and has it use
// the result before answering.
type liveUsers struct{ creds *reloadableCreds }

func (u liveUsers) edit(f func(*ntlm.UsersFile) error) error {
	if err := editUsers(u.creds.path, f); err != nil {
		return err
	}
	if err := u.creds.reload(); err != nil {
		return fmt.Errorf("saved %s, but reloading it failed (the server keeps the previous accounts): %w", u.creds.path, err)
	}
	return nil
}

func (u liveUsers) Add(user, domain string, h [16]byte, admin bool) error {
	return u.edit(func(f *ntlm.UsersFile) error { return f.AddUser(user, domain, h, admin) })
}

func (u liveUsers) Del(user, domain string) error {
	return u.edit(func(f *ntlm.UsersFile) error { return f.RemoveUser(user, domain) })
}

// List shows the accounts the server uses now (what it loaded).
func (u liveUsers) List() ([]ctl.User, error) {
	cur := u.creds.cur.Load()
	if cur == nil {
		return nil, errors.New("no users file loaded")
	}
	var out []ctl.User
	for _, e := range cur.List() {
		out = append(out, ctl.User{Name: e.User, Domain: e.Domain, Admin: e.Admin})
	}
	return out, nil
}
