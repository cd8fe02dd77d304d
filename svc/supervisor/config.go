package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Defaults for zero Service fields.
const (
	DefaultStopSignal  = syscall.SIGTERM
	DefaultStopTimeout = 10 * time.Second
	//lint:ignore ST1011 named after supervisord's startsecs, which the configuration key follows
	DefaultStartSecs       = 200 * time.Millisecond
	DefaultStartTimeout    = 30 * time.Second
	DefaultRestartDelay    = 1 * time.Second
	DefaultMaxRestartDelay = 30 * time.Second
)

// Service configures one supervised service. Zero fields take the
// Default* values above.
type Service struct {
	Name        string   // short name, unique
	DisplayName string   // defaults to Name
	Command     []string // argv; Command[0] is looked up in PATH
	Env         []string // "K=V" added to (and overriding) iissd's environment
	Dir         string   // working directory; "" is iissd's
	User        string   // run as this user (name or uid); needs root
	StartType   svc.StartType
	DependsOn   []string // services that must be Running first

	// StopSignal is sent to the process group to stop gracefully.
	StopSignal syscall.Signal
	// StopTimeout is how long after StopSignal the group gets SIGKILL.
	// Manager.Stop returns at its context's deadline even if that comes
	// first; the escalation still happens at StopTimeout.
	StopTimeout time.Duration

	// StartSecs is how long the process must stay up to count as Running;
	// exiting sooner is a crash while starting. Negative: Running as soon
	// as the process is started. Ignored when StartCheck is set.
	//lint:ignore ST1011 named after supervisord's startsecs, which the configuration key follows
	StartSecs time.Duration
	// StartCheck, if set, is a TCP address ("127.0.0.1:80") that must
	// accept a connection before the service counts as Running.
	StartCheck string
	// StartTimeout bounds StartCheck; then the group is killed and the
	// service reports ERROR_SERVICE_START_HANG (1070).
	StartTimeout time.Duration

	// Restart says whether a service that exits on its own after reaching
	// Running is started again, after RestartDelay doubling up to
	// MaxRestartDelay. Stop and Kill suppress restarts.
	Restart         RestartPolicy
	RestartDelay    time.Duration
	MaxRestartDelay time.Duration

	// LogDir receives stdout and stderr in LogDir/Name.log (appended);
	// "" means Config.LogDir; if both are empty the output is discarded.
	LogDir string
}

// RestartPolicy says when an exited service is restarted.
type RestartPolicy uint8

// Restart policies.
const (
	RestartNo        RestartPolicy = iota // never
	RestartOnFailure                      // after a non-zero exit or a signal
	RestartAlways                         // after any exit
)

var restartNames = [...]string{RestartNo: "no", RestartOnFailure: "on-failure", RestartAlways: "always"}

func (p RestartPolicy) String() string {
	if int(p) < len(restartNames) {
		return restartNames[p]
	}
	return fmt.Sprintf("RestartPolicy(%d)", p)
}

// ParseRestartPolicy parses "no" (or ""), "on-failure" and "always".
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	if s == "" {
		return RestartNo, nil
	}
	for p, n := range restartNames {
		if n == s {
			return RestartPolicy(p), nil
		}
	}
	return 0, errors.New("supervisor: unknown restart policy " + s)
}

// Config configures a Manager.
type Config struct {
	Services  []Service // in the order Services reports them
	LogDir    string    // default Service.LogDir
	KillExtra []string  // process names Kill also SIGKILLs (comm or argv[0] basename)

	// Logger receives one line per lifecycle event of a service: started,
	// exited (with the exit codes and the log file), restart scheduled,
	// start check failed, killed after StopTimeout. Nil logs nothing.
	Logger *slog.Logger

	// StateDir, if set, keeps the pid file through which the next Manager
	// kills what a crashed iissd left running (see contain.go).
	StateDir string

	Clock     Clock                  // nil: real time
	ListProcs func() ([]Proc, error) // nil: ScanProc; used by Kill for KillExtra
}

// withDefaults returns s with zero fields filled in.
func (s Service) withDefaults(logDir string) Service {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&s.StopTimeout, DefaultStopTimeout)
	def(&s.StartSecs, DefaultStartSecs)
	def(&s.StartTimeout, DefaultStartTimeout)
	def(&s.RestartDelay, DefaultRestartDelay)
	def(&s.MaxRestartDelay, DefaultMaxRestartDelay)
	if s.StopSignal == 0 {
		s.StopSignal = DefaultStopSignal
	}
	if s.DisplayName == "" {
		s.DisplayName = s.Name
	}
	if s.LogDir == "" {
		s.LogDir = logDir
	}
	return s
}

// logFile is where the service's output goes; "" if it is discarded.
func (s Service) logFile() string {
	if s.LogDir == "" {
		return ""
	}
	return filepath.Join(s.LogDir, s.Name+".log")
}

func (s Service) validate() error {
	switch {
	case s.Name == "":
		return errors.New("supervisor: service without a name")
	case len(s.Command) == 0 || s.Command[0] == "":
		return fmt.Errorf("supervisor: service %s: empty command", s.Name)
	case s.User != "" && os.Geteuid() != 0:
		return fmt.Errorf("supervisor: service %s: running as user %q needs root, iissd runs as uid %d",
			s.Name, s.User, os.Geteuid())
	}
	return nil
}

// checkGraph rejects duplicate names, unknown dependencies and cycles.
func checkGraph(services []Service) error {
	deps := make(map[string][]string, len(services))
	for _, s := range services {
		if _, dup := deps[s.Name]; dup {
			return fmt.Errorf("supervisor: duplicate service %s", s.Name)
		}
		deps[s.Name] = s.DependsOn
	}
	for _, s := range services {
		for _, d := range s.DependsOn {
			if _, ok := deps[d]; !ok {
				return fmt.Errorf("supervisor: service %s depends on unknown service %s", s.Name, d)
			}
		}
	}
	color := map[string]int{} // 0 unvisited, 1 on the path, 2 done
	for _, s := range services {
		if err := visit(s.Name, deps, color, nil); err != nil {
			return err
		}
	}
	return nil
}

func visit(name string, deps map[string][]string, color map[string]int, path []string) error {
	switch color[name] {
	case 1:
		return fmt.Errorf("supervisor: dependency cycle %v", append(path, name))
	case 2:
		return nil
	}
	color[name] = 1
	for _, d := range deps[name] {
		if err := visit(d, deps, color, append(path, name)); err != nil {
			return err
		}
	}
	color[name] = 2
	return nil
}
