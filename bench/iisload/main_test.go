package main

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// lateCtx has a deadline but reports no error, as a context.WithTimeout
// does between its deadline and the moment its timer goroutine runs.
type lateCtx struct {
	context.Context
	dl time.Time
}

func (c lateCtx) Deadline() (time.Time, bool) { return c.dl, true }

// An operation that fails after the workload's deadline (its socket
// deadline fired before ctx's timer) is the end of the window, not an
// error; one that fails before it is counted.
func TestRunCountsOnlyErrorsBeforeTheDeadline(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = devnull, devnull
	defer func() { os.Stdout, os.Stderr = stdout, stderr }()

	ctx := lateCtx{context.Background(), time.Now().Add(50 * time.Millisecond)}
	ops := 0
	r := runCtx(ctx, "late", 1, 1000, func(ctx context.Context, _ int) error {
		ops++
		if ops == 1 {
			return errors.New("refused before the deadline")
		}
		dl, _ := ctx.Deadline()
		time.Sleep(time.Until(dl) + 5*time.Millisecond)
		return errors.New("i/o timeout") // the socket deadline, armed from ctx
	})
	if r.errs != 1 {
		t.Fatalf("counted %d errors, want 1 (only the one before the deadline)", r.errs)
	}
	if ops != 2 {
		t.Fatalf("ran %d operations, want 2 (none started after the deadline)", ops)
	}
}
