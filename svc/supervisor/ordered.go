package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ordered runs fn for every name in its own goroutine, each once fn has
// succeeded for its prerequisites among names. A name whose prerequisite
// failed is skipped with an error, and skipped (if not nil) is called.
func (m *Manager) ordered(ctx context.Context, names []string, prereqs func(string) []string,
	fn func(context.Context, string) error, skipped func(*service)) error {
	done := make(map[string]chan struct{}, len(names))
	for _, n := range names {
		done[n] = make(chan struct{})
	}
	errs := make(map[string]error, len(names)) // written before done[n] closes
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() {
			defer close(done[n])
			err := afterPrereqs(ctx, n, prereqs(n), done, errs, &mu)
			switch {
			case err == nil:
				err = fn(ctx, n)
			case skipped != nil && errors.Is(err, errDependency):
				skipped(m.byName[n])
			}
			mu.Lock()
			errs[n] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	var all []error
	for _, n := range names {
		all = append(all, errs[n])
	}
	return errors.Join(all...)
}

// afterPrereqs waits for the prerequisites of name that are in done.
func afterPrereqs(ctx context.Context, name string, prereqs []string,
	done map[string]chan struct{}, errs map[string]error, mu *sync.Mutex) error {
	for _, p := range prereqs {
		ch, ok := done[p]
		if !ok {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("supervisor: %s waiting for %s: %w", name, p, ctx.Err())
		}
		mu.Lock()
		err := errs[p]
		mu.Unlock()
		if err != nil {
			return fmt.Errorf("supervisor: %s: %s did not make it: %w", name, p, errDependency)
		}
	}
	return nil
}

// errDependency marks an operation skipped because a prerequisite failed.
var errDependency = errors.New("dependency failed")
