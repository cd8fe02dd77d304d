package svctest

import (
	"context"
	"sync"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// watcher records Services snapshots while an operation runs.
type watcher struct {
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	snaps []map[string]svc.Status
	errs  []error
}

func watch(m svc.Manager) *watcher {
	w := &watcher{stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(m)
	return w
}

func (w *watcher) run(m svc.Manager) {
	defer close(w.done)
	tick := time.NewTicker(watchStep)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), opWait)
		st, err := m.Services(ctx)
		cancel()
		w.mu.Lock()
		if err != nil {
			w.errs = append(w.errs, err)
		} else {
			w.snaps = append(w.snaps, byName(st))
		}
		w.mu.Unlock()
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
	}
}

// finish stops the watcher and returns what it saw.
func (w *watcher) finish() ([]map[string]svc.Status, []error) {
	close(w.stop)
	<-w.done
	return w.snaps, w.errs
}

func pending(s svc.State) bool {
	return s == svc.StartPending || s == svc.StopPending || s == svc.ContinuePending || s == svc.PausePending
}
