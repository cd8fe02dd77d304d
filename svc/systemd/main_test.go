package systemd

import (
	"fmt"
	"os"
	"testing"

	"github.com/iisctl/iisctl/internal/systemdtest"
)

// TestMain tears down the one systemd sandbox the package's tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := systemdtest.Teardown(); err != nil {
		fmt.Fprintln(os.Stderr, "systemd sandbox teardown:", err)
		code = 1
	}
	os.Exit(code)
}
