package systemd

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeJobs is an enqueueFunc whose jobs end with the given results after
// a delay (or never, for "").
func fakeJobs(results map[string]string, delay time.Duration) enqueueFunc {
	return func(ctx context.Context, name, mode string, ch chan<- string) (int, error) {
		if r := results[name]; r != "" {
			time.AfterFunc(delay, func() { ch <- r })
		}
		return 1, nil
	}
}

func TestWaitResults(t *testing.T) {
	f := fakeJobs(map[string]string{"a.service": "done", "b.service": "failed", "c.service": "skipped"}, time.Millisecond)
	var jobs []job
	for _, u := range []string{"a.service", "b.service", "c.service"} {
		j, err := enqueue(context.Background(), f, "start", u)
		must(t, err)
		jobs = append(jobs, j)
	}
	err := wait(context.Background(), jobs)
	var je *JobError
	if !errors.As(err, &je) || je.Unit != "b.service" || je.Result != "failed" {
		t.Fatalf("wait = %v, want a JobError for b.service", err)
	}
}

func TestWaitDeadline(t *testing.T) {
	f := fakeJobs(map[string]string{"a.service": "done"}, time.Millisecond)
	a, _ := enqueue(context.Background(), f, "stop", "a.service")
	b, _ := enqueue(context.Background(), f, "stop", "stuck.service")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := wait(ctx, []job{a, b})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("wait took %v", d)
	}
}
