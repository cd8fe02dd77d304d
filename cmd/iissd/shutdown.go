package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
)

// forcer runs what a second signal asks: end now.
type forcer struct {
	mu     sync.Mutex
	fns    []func()
	forced chan struct{} // closed by the second signal
	ran    chan struct{} // closed once the registered functions ran
}

// forcedExit says whether a second signal forced the exit; if so it
// waits (bounded) until the services were killed. The main path and the
// signal's goroutine then both end iissd with status 1, whichever is
// first.
func forcedExit(ctx context.Context) bool {
	fc, ok := ctx.Value(forcerKey{}).(*forcer)
	if !ok {
		return false
	}
	select {
	case <-fc.forced:
	default:
		return false
	}
	select {
	case <-fc.ran:
	case <-time.After(5 * time.Second):
	}
	return true
}

type forcerKey struct{}

// onForce registers fn to run (bounded) when a second SIGTERM or SIGINT
// forces iissd to exit.
func onForce(ctx context.Context, fn func()) {
	if fc, ok := ctx.Value(forcerKey{}).(*forcer); ok {
		fc.mu.Lock()
		fc.fns = append(fc.fns, fn)
		fc.mu.Unlock()
	}
}

func (fc *forcer) run() {
	fc.mu.Lock()
	fns := fc.fns
	fc.mu.Unlock()
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(fn)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
}

// shutdownContext is parent, canceled by the first SIGTERM or SIGINT:
// iissd then shuts down gracefully. A second signal runs what onForce
// registered (the supervised services are killed) and exits at once
// with status 1.
func shutdownContext(parent context.Context, stderr io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	fc := &forcer{forced: make(chan struct{}), ran: make(chan struct{})}
	ctx = context.WithValue(ctx, forcerKey{}, fc)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			cancel()
		case <-done:
			return
		}
		select {
		case s := <-sig:
			fmt.Fprintf(stderr, "iissd: second signal (%v): exiting now; the supervised services are killed\n", s)
			close(fc.forced)
			fc.run()
			close(fc.ran)
			os.Exit(1)
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sig)
			close(done)
			cancel()
		})
	}
}

// shutdownBudget is how long closing the backend may take: the stop
// timeouts of the services, one after the other (dependents stop before
// their dependencies), and slack for the kill that follows.
func shutdownBudget(cfg *Config) time.Duration {
	var d time.Duration
	for _, s := range cfg.Services {
		t := s.StopTimeout.Duration
		if t == 0 {
			t = supervisor.DefaultStopTimeout
		}
		d += t
	}
	return d + 5*time.Second
}

// closeBackend releases the backend on exit. iissd owns the supervisor's
// children, so they are stopped, each within its stop_timeout, then
// killed; systemd units are left as they are.
func closeBackend(m svc.Manager, cfg *Config, log *slog.Logger) {
	sup, ok := m.(*supervisor.Manager)
	if !ok {
		if err := m.Close(); err != nil {
			log.Warn("closing the backend", "err", err)
		}
		return
	}
	budget := shutdownBudget(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	running := runningServices(ctx, m)
	if len(running) > 0 {
		log.Info("stopping the supervised services, each within its stop_timeout, then killing them",
			"services", strings.Join(running, ","), "max_wait", budget)
	}
	start := time.Now()
	if err := sup.Shutdown(ctx); err != nil {
		log.Warn("stopping the supervised services", "err", err)
		return
	}
	if len(running) > 0 {
		log.Info("supervised services stopped", "duration", time.Since(start).Round(time.Millisecond))
	}
}

// runningServices names the services that are not Stopped.
func runningServices(ctx context.Context, m svc.Manager) []string {
	list, err := m.Services(ctx)
	if err != nil {
		return nil
	}
	var names []string
	for _, s := range list {
		if s.State != svc.Stopped {
			names = append(names, s.Name)
		}
	}
	return names
}

// forceKill is what a second signal does to the supervised services.
func forceKill(m svc.Manager, log *slog.Logger) func() {
	return func() {
		log.Warn("second signal: killing the supervised services and exiting now")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		m.Kill(ctx)
	}
}
