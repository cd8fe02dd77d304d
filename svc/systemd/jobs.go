package systemd

import (
	"context"
	"errors"
	"fmt"
)

// enqueueFunc is StartUnitContext or StopUnitContext.
type enqueueFunc func(ctx context.Context, name, mode string, ch chan<- string) (int, error)

// job is a queued systemd job; done receives its JobRemoved result.
type job struct {
	op, unit string
	done     chan string
}

// enqueue queues op for unit in "replace" mode. go-systemd delivers the
// result from its JobRemoved dispatcher while holding a lock, so the
// channel is buffered: a job nobody waits for any more cannot block it.
func enqueue(ctx context.Context, f enqueueFunc, op, unit string) (job, error) {
	j := job{op: op, unit: unit, done: make(chan string, 1)}
	if _, err := f(ctx, unit, "replace", j.done); err != nil {
		return job{}, fmt.Errorf("systemd: %s %s: %w", op, unit, wrapBusErr(ctx, err))
	}
	return j, nil
}

// wait blocks until every job is removed or ctx ends; jobs still queued
// at the deadline are reported as errors wrapping ctx.Err().
func wait(ctx context.Context, jobs []job) error {
	var errs []error
	for _, j := range jobs {
		if err := j.wait(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (j job) wait(ctx context.Context) error {
	select {
	case r := <-j.done:
		return jobResult(j, r)
	case <-ctx.Done():
	}
	select { // a result that raced the deadline still counts
	case r := <-j.done:
		return jobResult(j, r)
	default:
		return fmt.Errorf("systemd: %s %s: %w", j.op, j.unit, ctx.Err())
	}
}

func jobResult(j job, result string) error {
	switch result {
	case "done", "skipped":
		return nil
	}
	return &JobError{Op: j.op, Unit: j.unit, Result: result}
}
