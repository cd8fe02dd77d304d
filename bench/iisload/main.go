package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iisctl/iisctl/iiss"
)

func main() {
	target := flag.String("target", "127.0.0.1:135", "activator HOST:PORT")
	user := flag.String("u", "admin", "user")
	workers := flag.Int("c", 4, "concurrent clients")
	n := flag.Int("n", 2000, "operations per workload at most")
	dur := flag.Duration("duration", 10*time.Second, "time per workload at most")
	flag.Parse()
	if _, _, err := net.SplitHostPort(*target); err != nil {
		fail(fmt.Errorf("bad -target %q", *target))
	}
	cfg := dialer{*target, iiss.ClientConfig{Credentials: iiss.Credentials{User: *user, Password: os.Getenv("IISCTL_PASSWORD")}}}
	warm := run("warm: Status on a held reference", *workers, *n, *dur, warmOp(cfg))
	cold := run("cold: activate + Status + release", *workers, *n, *dur, coldOp(cfg))
	if warm.mean > 0 {
		fmt.Printf("cold/warm mean latency ratio: %.1fx\n", float64(cold.mean)/float64(warm.mean))
	}
}

// dialer is where and how the workloads dial.
type dialer struct {
	target string
	cfg    iiss.ClientConfig
}

func (d dialer) dial(ctx context.Context) (*iiss.Client, error) {
	return iiss.Dial(ctx, d.target, d.cfg)
}

// op performs one operation for worker w.
type op func(ctx context.Context, w int) error

func warmOp(cfg dialer) op {
	var mu sync.Mutex
	conns := map[int]*iiss.Client{}
	return func(ctx context.Context, w int) error {
		mu.Lock()
		c := conns[w]
		mu.Unlock()
		if c == nil {
			var err error
			if c, err = cfg.dial(ctx); err != nil {
				return err
			}
			mu.Lock()
			conns[w] = c
			mu.Unlock()
		}
		_, err := c.Status(ctx)
		return err
	}
}

func coldOp(cfg dialer) op {
	return func(ctx context.Context, _ int) error {
		c, err := cfg.dial(ctx)
		if err != nil {
			return err
		}
		_, err = c.Status(ctx)
		return errors.Join(err, c.Close())
	}
}

type result struct {
	mean time.Duration
	errs int64
}

// run executes f from workers goroutines until n operations or d elapse.
func run(name string, workers, n int, d time.Duration, f op) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return runCtx(ctx, name, workers, n, f)
}

// runCtx executes f from workers goroutines until n operations are done or
// ctx's deadline passes. An error counts only if it ended before that
// deadline: a socket deadline armed from ctx (rpc.Conn, net.Dialer) fires
// at the same instant as ctx's own timer, and on a busy machine ctx.Err()
// is still nil for a few milliseconds after it, during which every
// operation in flight or started fails at once ("i/o timeout", "call
// interrupted: context deadline exceeded"). Those are the end of the
// window, not failures of the server, and were counted by the hundreds.
func runCtx(ctx context.Context, name string, workers, n int, f op) result {
	dl, hasDL := ctx.Deadline()
	open := func() bool { return ctx.Err() == nil && (!hasDL || time.Now().Before(dl)) }
	var next, errs atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && open() {
				t := time.Now()
				if err := f(ctx, w); err != nil {
					if open() && errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "iisload:", err)
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	r := report(name, time.Since(start), lat, errs.Load())
	r.errs = errs.Load()
	return r
}

func report(name string, elapsed time.Duration, lat [][]time.Duration, errs int64) result {
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		fmt.Printf("%-36s no successful operations (%d errors)\n", name, errs)
		return result{errs: errs}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	var sum time.Duration
	for _, v := range all {
		sum += v
	}
	pct := func(p float64) time.Duration { return all[int(p*float64(len(all)-1))] }
	mean := sum / time.Duration(len(all))
	fmt.Printf("%-36s %6d ops %8.0f ops/s  mean %-9v p50 %-9v p99 %-9v errors %d\n", name, len(all),
		float64(len(all))/elapsed.Seconds(), mean.Round(time.Microsecond), pct(0.5).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), errs)
	return result{mean: mean, errs: errs}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "iisload:", err)
	os.Exit(2)
}
