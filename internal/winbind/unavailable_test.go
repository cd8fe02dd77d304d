package winbind_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/winbind"
	"github.com/iisctl/iisctl/ntlm"
)

func logon() *ntlm.Logon {
	return &ntlm.Logon{User: "alice", Domain: "CORP", NtChallengeResponse: make([]byte, 64)}
}

// TestHangingHelper: a helper that never answers costs one Timeout, is
// killed, and the outage is logged once; meanwhile logons beyond
// MaxConcurrent are refused as busy after Timeout instead of queueing,
// and a local logon is answered at once.
func TestHangingHelper(t *testing.T) {
	log := &syncBuffer{}
	local := ntlm.VerifierFunc(func(context.Context, *ntlm.Logon) (ntlm.Verified, error) { return ntlm.Verified{}, nil })
	v, err := winbind.New(winbind.Config{Domain: "CORP", NTLMAuth: []string{"sh", "-c", "exec sleep 30", "ntlm_auth"},
		MaxConcurrent: 1, Timeout: 300 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(log, nil)), Fallback: local})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = v.Verify(context.Background(), logon())
		}(i)
	}
	// Meanwhile a local logon does not wait for the stuck DC.
	time.Sleep(50 * time.Millisecond)
	t0 := time.Now()
	if _, err := v.Verify(context.Background(), &ntlm.Logon{User: "admin", Domain: ""}); err != nil {
		t.Errorf("local logon: %v", err)
	}
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("a local logon waited %v behind the domain controller", d)
	}
	wg.Wait()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	busy := 0
	for _, err := range errs {
		if err == nil {
			t.Fatal("a logon succeeded")
		}
		if errors.Is(err, winbind.ErrBusy) {
			busy++
		}
	}
	if busy == 0 {
		t.Errorf("no logon was refused as busy: %v", errs)
	}
	if n := strings.Count(log.String(), "domain controller unreachable"); n != 1 {
		t.Errorf("unreachable logged %d times:\n%s", n, log)
	}
}

// TestNoWinbind: ntlm_auth that cannot reach winbindd (or a missing
// program) fails the logon quickly with a clear log line.
func TestNoWinbind(t *testing.T) {
	log := &syncBuffer{}
	v, err := winbind.New(winbind.Config{Domain: "CORP", NTLMAuth: []string{"/nonexistent/ntlm_auth"},
		Timeout: 2 * time.Second, Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.Verify(context.Background(), logon())
	if !errors.Is(err, winbind.ErrUnavailable) || errors.Is(err, ntlm.ErrLogonFailure) {
		t.Fatalf("got %v, want ErrUnavailable (not a logon failure)", err)
	}
	if !strings.Contains(log.String(), "domain controller unreachable") {
		t.Errorf("log:\n%s", log)
	}
	// Other domains go to the fallback, or are refused without one.
	if _, err := v.Verify(context.Background(), &ntlm.Logon{User: "x", Domain: "OTHER"}); !errors.Is(err, ntlm.ErrLogonFailure) {
		t.Errorf("other domain without fallback: %v", err)
	}
	if _, err := winbind.New(winbind.Config{Domain: "CORP", AdminGroups: []string{"a,b"}}); err == nil {
		t.Error("a group name with a comma was accepted")
	}
}
