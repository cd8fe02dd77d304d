package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/iisctl/iisctl/iiss"
)

// usersSettle is how long the users file must stay quiet after a change
// before it is reloaded: an editor's write may come in several events.
const usersSettle = 200 * time.Millisecond

// usersPoll is the fallback when the directory cannot be watched
// (inotify limits): the file's size and modification time are checked
// this often.
const usersPoll = 2 * time.Second

// watchUsersFile reloads the users file whenever it changes on disk
// (iissd user add, an editor, a configuration manager), logging each
// reload; a file that fails to load is logged and the previous one kept,
// as with SIGHUP. It watches the directory, so that the atomic
// replacement SaveUsersFile makes (a rename) is seen.
func watchUsersFile(ctx context.Context, creds *reloadableCreds, log *slog.Logger) {
	w, err := fsnotify.NewWatcher()
	if err == nil {
		if err = w.Add(filepath.Dir(creds.path)); err != nil {
			w.Close()
		}
	}
	if err != nil {
		log.Warn("cannot watch the users file's directory; checking the file every 2s instead",
			"path", creds.path, "err", err)
		pollUsersFile(ctx, creds, log)
		return
	}
	defer w.Close()
	name := filepath.Clean(creds.path)
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if filepath.Clean(ev.Name) == name {
				settle.Reset(usersSettle)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			log.Warn("watching the users file", "path", creds.path, "err", err)
		case <-settle.C:
			reloadUsers(creds, log, "changed on disk")
		}
	}
}

// pollUsersFile is watchUsersFile by polling.
func pollUsersFile(ctx context.Context, creds *reloadableCreds, log *slog.Logger) {
	stamp := func() (time.Time, int64) {
		fi, err := os.Stat(creds.path)
		if err != nil {
			return time.Time{}, -1
		}
		return fi.ModTime(), fi.Size()
	}
	mt, sz := stamp()
	t := time.NewTicker(usersPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if m, s := stamp(); !m.Equal(mt) || s != sz {
				mt, sz = m, s
				reloadUsers(creds, log, "changed on disk")
			}
		}
	}
}

// reloadUsers reloads creds and logs the outcome.
func reloadUsers(creds *reloadableCreds, log *slog.Logger, why string) {
	start := time.Now()
	var before []byte
	if u := creds.cur.Load(); u != nil {
		before = u.Marshal()
	}
	err := creds.reload()
	// The watcher also sees the writes of the control socket, which
	// audits its own edits: a reload that changed nothing is recorded
	// only when asked for (SIGHUP).
	unchanged := err == nil && string(before) == string(creds.cur.Load().Marshal())
	if creds.audit != nil && !(unchanged && why != "SIGHUP") {
		hr := iiss.S_OK
		if err != nil {
			hr = iiss.E_FAIL
		}
		creds.audit.Audit(context.Background(), iiss.AuditRecord{Time: start, Caller: iiss.Caller{User: "local (" + why + ")"},
			Method: "Local reload", Result: hr, Err: err, Duration: time.Since(start)})
	}
	if err != nil {
		log.Error("reload of the users file failed; keeping the previous one", "path", creds.path, "why", why, "err", err)
		return
	}
	log.Info("users file reloaded", "path", creds.path, "why", why, "accounts", len(creds.cur.Load().List()))
}
