package systemdtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
)

// StartTimeout bounds starting a sandbox.
const StartTimeout = 20 * time.Second

var shared struct {
	once sync.Once
	sb   *Sandbox
	err  error
}

// Shared returns the test binary's one sandbox, starting it on first use.
// When no sandbox can run here the test is skipped (peertest.Skip), or
// fails under IISCTL_REQUIRE_PEERS=1. Call Teardown from TestMain after m.Run.
func Shared(t testing.TB) *Sandbox {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
		defer cancel()
		shared.sb, shared.err = Start(ctx, "")
	})
	if shared.err != nil {
		peertest.Skip(t, "real systemd unavailable: %v", shared.err)
	}
	return shared.sb
}

// Teardown closes the shared sandbox, if one was started.
func Teardown() error {
	if shared.sb == nil {
		return nil
	}
	return shared.sb.Close()
}
