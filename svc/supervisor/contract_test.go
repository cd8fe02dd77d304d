package supervisor_test

import (
	"testing"
	"time"

	"github.com/iisctl/iisctl/svc"
	"github.com/iisctl/iisctl/svc/supervisor"
	"github.com/iisctl/iisctl/svc/svctest"
)

// fromSpecs maps contract specs to supervisor services.
func fromSpecs(specs []svctest.Spec) []supervisor.Service {
	out := make([]supervisor.Service, len(specs))
	for i, sp := range specs {
		out[i] = supervisor.Service{
			Name: sp.Name, DisplayName: sp.DisplayName, Command: sp.Command(),
			StartType: sp.StartType, DependsOn: sp.DependsOn,
			StartSecs: 150 * time.Millisecond, StopTimeout: 30 * time.Second,
		}
	}
	return out
}

func TestContract(t *testing.T) {
	svctest.TestManager(t, svctest.Harness{
		New: func(t *testing.T, specs []svctest.Spec) svc.Manager {
			m, err := supervisor.New(supervisor.Config{Services: fromSpecs(specs), LogDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		ReportsPending:    true,
		DetectsStartCrash: true,
	})
}
