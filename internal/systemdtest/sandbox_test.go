package systemdtest

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := Teardown(); err != nil {
		println("teardown:", err.Error())
		code = 1
	}
	os.Exit(code)
}

func TestSandboxRunsUnits(t *testing.T) {
	sb := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unit := "[Unit]\nDescription=sandbox probe\n[Service]\nExecStart=/bin/sleep 600\n"
	if err := sb.WriteUnit("probe.service", unit); err != nil {
		t.Fatal(err)
	}
	if err := sb.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	if _, err := sb.Conn().StartUnitContext(ctx, "probe.service", "replace", done); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r != "done" {
		t.Fatalf("start job: %s", r)
	}
	p, err := sb.Conn().GetServicePropertyContext(ctx, "probe.service", "MainPID")
	if err != nil || p.Value.Value().(uint32) == 0 {
		t.Fatalf("MainPID %v, %v", p, err)
	}
}
