package svctest_test

import (
	"context"
	"errors"
	"slices"
	"time"

	"testing"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/svctest"
)

func TestFake(t *testing.T) {
	svctest.TestManager(t, svctest.Harness{
		New: func(t *testing.T, specs []svctest.Spec) svc.Manager {
			return svctest.NewFake(specs...)
		},
		DetectsStartCrash:  true,
		SimulatedProcesses: true,
	})
}

func TestFakeInjection(t *testing.T) {
	ctx := t.Context()
	f := svctest.NewFake(svctest.Web(), svctest.Worker())
	boom := errors.New("boom")
	f.FailStart("web", boom)
	if err := f.Start(ctx); !errors.Is(err, boom) {
		t.Fatalf("Start = %v, want boom", err)
	}
	st, _ := f.Services(ctx)
	if st[0].State != svc.Stopped || st[1].Win32ExitCode != svc.ExitServiceDependencyFail {
		t.Fatalf("after failed start: %+v", st)
	}
	f.FailStart("web", nil)
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.Exit("worker", 7)
	st, _ = f.Services(ctx)
	if w := st[1]; w.State != svc.Stopped || w.Win32ExitCode != 1066 || w.ServiceSpecificExitCode != 7 {
		t.Fatalf("worker after Exit: %+v", w)
	}
	f.HangStop("web", true)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := f.Stop(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v", err)
	}
	f.FailKill(boom)
	if err := f.Kill(ctx); !errors.Is(err, boom) {
		t.Fatalf("Kill = %v", err)
	}
	if st, _ = f.Services(ctx); st[0].State != svc.StopPending {
		t.Fatalf("web after failed Kill: %v", st[0].State)
	}
	want := []string{"Start", "Services", "Start", "Services", "Stop", "Kill", "Services"}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Fatalf("Calls = %v, want %v", got, want)
	}
	f.Close()
	if _, err := f.Services(ctx); !errors.Is(err, svctest.ErrClosed) {
		t.Fatalf("Services after Close: %v", err)
	}
}
