package main

import (
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// logLevels and logFormats are the values log.level and log.format take.
var (
	logLevels  = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
	logFormats = []string{"text", "json"}
)

// newLogger is iissd's operational log on w. Under systemd, when w is
// the stream journald reads ($JOURNAL_STREAM names its device and inode),
// text lines carry no timestamp: the journal adds its own.
func newLogger(c LogConfig, w io.Writer) *slog.Logger {
	lvl, ok := logLevels[c.Level]
	if !ok {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	if toJournal(w, os.Getenv("JOURNAL_STREAM")) {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// toJournal says whether w is the file journald connected to iissd:
// $JOURNAL_STREAM is "DEVICE:INODE" of that stream (systemd.exec(5)).
func toJournal(w io.Writer, env string) bool {
	f, ok := w.(*os.File)
	if !ok || env == "" {
		return false
	}
	dev, ino, ok := strings.Cut(env, ":")
	if !ok {
		return false
	}
	d, err1 := strconv.ParseUint(dev, 10, 64)
	i, err2 := strconv.ParseUint(ino, 10, 64)
	var st syscall.Stat_t
	if err1 != nil || err2 != nil || syscall.Fstat(int(f.Fd()), &st) != nil {
		return false
	}
	return uint64(st.Dev) == d && uint64(st.Ino) == i
}
