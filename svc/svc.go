package svc

import (
	"context"
	"errors"
	"time"
)

// Type is dwServiceType.
type Type uint32

// Service types.
const (
	TypeKernelDriver     Type = 0x01
	TypeFileSystemDriver Type = 0x02
	TypeOwnProcess       Type = 0x10
	TypeShareProcess     Type = 0x20
)

// State is dwCurrentState.
type State uint32

// Service states ([MS-SCMR] 2.2.47).
const (
	Stopped         State = 1
	StartPending    State = 2
	StopPending     State = 3
	Running         State = 4
	ContinuePending State = 5
	PausePending    State = 6
	Paused          State = 7
)

var stateNames = map[State]string{
	Stopped: "Stopped", StartPending: "Start Pending", StopPending: "Stop Pending",
	Running: "Running", ContinuePending: "Continue Pending", PausePending: "Pause Pending", Paused: "Paused",
}

// String gives the state as iisreset prints it ("Running", "Stopped", ...).
func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "Unknown"
}

// Controls accepted (dwControlsAccepted).
const (
	AcceptStop     uint32 = 0x01
	AcceptShutdown uint32 = 0x04
)

// Win32 exit codes used in Status.Win32ExitCode.
const (
	ExitOK                    uint32 = 0
	ExitServiceSpecificError  uint32 = 1066 // ERROR_SERVICE_SPECIFIC_ERROR
	ExitProcessAborted        uint32 = 1067 // ERROR_PROCESS_ABORTED: killed by a signal
	ExitServiceRequestTimeout uint32 = 1053 // ERROR_SERVICE_REQUEST_TIMEOUT
	ExitServiceNeverStarted   uint32 = 1077 // ERROR_SERVICE_NEVER_STARTED
	ExitServiceDependencyFail uint32 = 1068 // ERROR_SERVICE_DEPENDENCY_FAIL
	ExitServiceStartHang      uint32 = 1070 // ERROR_SERVICE_START_HANG
	ExitServiceLogonFailed    uint32 = 1069 // ERROR_SERVICE_LOGON_FAILED
	ExitServiceDisabled       uint32 = 1058 // ERROR_SERVICE_DISABLED
	ExitServiceNotActive      uint32 = 1062 // ERROR_SERVICE_NOT_ACTIVE
	ExitFileNotFound          uint32 = 2    // ERROR_FILE_NOT_FOUND: the command is missing
)

// StartType says whether Start brings a service up.
type StartType uint8

// Start types.
const (
	AutoStart   StartType = iota // started by Manager.Start
	DemandStart                  // only started explicitly
	Disabled                     // never started
)

func (t StartType) String() string {
	switch t {
	case AutoStart:
		return "auto"
	case DemandStart:
		return "demand"
	default:
		return "disabled"
	}
}

// ParseStartType parses "auto", "demand" (or "manual") and "disabled".
func ParseStartType(s string) (StartType, error) {
	switch s {
	case "auto", "automatic", "":
		return AutoStart, nil
	case "demand", "manual":
		return DemandStart, nil
	case "disabled":
		return Disabled, nil
	}
	return 0, errors.New("svc: unknown start type " + s)
}

// Status is one service's record: SERVICE_STATUS_PROCESS plus its name,
// display name, start type and dependencies, and three local extras that
// never go on the wire (the STATUS_BLOB of [MS-IISS] 2.2.1 carries
// SERVICE_STATUS only): Since, Restarts and LogFile.
type Status struct {
	Name        string // short name, e.g. "W3SVC"
	DisplayName string // e.g. "World Wide Web Publishing Service"

	Type                    Type
	State                   State
	ControlsAccepted        uint32
	Win32ExitCode           uint32
	ServiceSpecificExitCode uint32
	CheckPoint              uint32 // rises while a pending operation progresses
	WaitHint                uint32 // milliseconds
	ProcessID               uint32
	Flags                   uint32 // dwServiceFlags

	StartType    StartType
	Dependencies []string

	// Since is when the service entered its current state; zero if it
	// has not changed state since the backend started watching it.
	Since time.Time
	// Restarts counts the starts made by the backend's restart policy
	// (not by Start) since the backend started.
	Restarts uint32
	// LogFile says where the service's output goes: a file path, or for
	// systemd units the journalctl command that shows it.
	LogFile string
}

// Manager controls the Internet services as one unit. Every method takes
// a context whose deadline is the operation's timeout; a method that runs
// out of time returns an error wrapping context.DeadlineExceeded.
type Manager interface {
	// Services reports every Internet service, in a stable order.
	Services(ctx context.Context) ([]Status, error)
	// Start starts the AutoStart services (and what they depend on), in
	// dependency order, and returns when all are running.
	Start(ctx context.Context) error
	// Stop stops every service gracefully, in reverse dependency order,
	// and returns when all are stopped.
	Stop(ctx context.Context) error
	// Kill terminates every process of every service at once (SIGKILL),
	// plus the configured extra process names.
	Kill(ctx context.Context) error
	// Close releases the backend; it does not stop services.
	Close() error
}

// Snapshotter is implemented by a Manager whose Services answers from
// memory at once, never waiting on its context: callers may use Snapshot
// without setting up a deadline (iiss's Status does, per call).
type Snapshotter interface {
	// Snapshot is Services without a context.
	Snapshot() ([]Status, error)
}

// ErrUnknownService is returned for a service name a backend does not know.
var ErrUnknownService = errors.New("svc: unknown service")
