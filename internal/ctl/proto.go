package ctl

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// SocketName is the control socket's file name in iissd's state directory.
const SocketName = "iissd.sock"

// SocketPath is the control socket of the iissd whose state directory is dir.
func SocketPath(stateDir string) string { return filepath.Join(stateDir, SocketName) }

// Bounds of the protocol.
const (
	// MaxRequest bounds one request line, newline included.
	MaxRequest = 64 << 10
	// MaxResponse bounds what a Client reads back.
	MaxResponse = 4 << 20
)

// Operations.
const (
	OpStatus   = "status"
	OpDisable  = "disable"
	OpEnable   = "enable"
	OpUserAdd  = "user-add"
	OpUserDel  = "user-del"
	OpUserList = "user-list"
	OpReload   = "reload"
)

// Request is one request line.
type Request struct {
	Op       string   `json:"op"`
	Services []string `json:"services,omitempty"` // status: which ones; empty is all
	User     string   `json:"user,omitempty"`     // user-add, user-del
	Domain   string   `json:"domain,omitempty"`   // user-add, user-del; "" is any domain
	NTHash   string   `json:"nt_hash,omitempty"`  // user-add: 32 hex digits (password-equivalent)
	Admin    bool     `json:"admin,omitempty"`    // user-add: the administrator role
}

// Response is one response line.
type Response struct {
	OK       bool            `json:"ok"`
	Code     string          `json:"code,omitempty"`  // on failure: a Code* constant
	Error    string          `json:"error,omitempty"` // on failure: the message
	Message  string          `json:"message,omitempty"`
	Services []ServiceStatus `json:"services,omitempty"`
	Users    []User          `json:"users,omitempty"`
	Disabled *bool           `json:"disabled,omitempty"` // status, disable, enable: the switch afterwards
}

// Failure codes of a Response.
const (
	CodeAccessDenied   = "access_denied"   // the peer is neither root nor iissd's user
	CodeBadRequest     = "bad_request"     // malformed, too large, unknown op or field
	CodeUnknownService = "unknown_service" // status named a service iissd does not have
	CodeUnsupported    = "unsupported"     // this server cannot do the op
	CodeBusy           = "busy"            // too many connections at once
	CodeFailed         = "failed"          // the op was tried and failed
)

// Errors a Client returns; a server's refusal wraps the matching one and
// carries its message (*RemoteError).
var (
	// ErrNotRunning: no iissd listens on the socket (absent, or refused:
	// a stale file). Callers fall back to editing the files.
	ErrNotRunning = errors.New("iissd is not running (no control socket)")
	// ErrAccessDenied: the socket or the server refused this user.
	ErrAccessDenied    = errors.New("access denied")
	ErrBadRequest      = errors.New("bad request")
	ErrUnknownService  = svc.ErrUnknownService
	ErrUnsupported     = errors.New("not supported by this iissd")
	ErrBusy            = errors.New("iissd is busy")
	ErrFailed          = errors.New("failed")
	ErrProtocol        = errors.New("ctl: malformed response")
	errTooLarge        = errors.New("request too large")
	errNoRequest       = errors.New("no request")
	errResponseTooLong = errors.New("ctl: response too large")
)

var codeErrors = map[string]error{
	CodeAccessDenied: ErrAccessDenied, CodeBadRequest: ErrBadRequest, CodeUnknownService: ErrUnknownService,
	CodeUnsupported: ErrUnsupported, CodeBusy: ErrBusy, CodeFailed: ErrFailed,
}

// RemoteError is a failure the server reported.
type RemoteError struct {
	Code    string
	Message string
}

func (e *RemoteError) Error() string { return "iissd: " + e.Message }

// Unwrap makes errors.Is(err, ErrAccessDenied) and the like work.
func (e *RemoteError) Unwrap() error {
	if err, ok := codeErrors[e.Code]; ok {
		return err
	}
	return ErrFailed
}

// ServiceStatus is one service as the channel and `iissd status --json`
// show it: SERVICE_STATUS_PROCESS under the structure's own field names,
// the names of ENUM_SERVICE_STATUS_PROCESS, then the local extras.
type ServiceStatus struct {
	ServiceName             string `json:"lpServiceName"`
	DisplayName             string `json:"lpDisplayName"`
	ServiceType             uint32 `json:"dwServiceType"`
	CurrentState            uint32 `json:"dwCurrentState"`
	ControlsAccepted        uint32 `json:"dwControlsAccepted"`
	Win32ExitCode           uint32 `json:"dwWin32ExitCode"`
	ServiceSpecificExitCode uint32 `json:"dwServiceSpecificExitCode"`
	CheckPoint              uint32 `json:"dwCheckPoint"`
	WaitHint                uint32 `json:"dwWaitHint"`
	ProcessID               uint32 `json:"dwProcessId"`
	ServiceFlags            uint32 `json:"dwServiceFlags"`

	// Local extras.
	State        string    `json:"state"`     // "Running", "Start Pending", ...
	StartType    string    `json:"startType"` // auto, demand, disabled
	Dependencies []string  `json:"dependencies"`
	Since        time.Time `json:"since,omitzero"` // when the current state began
	Restarts     uint32    `json:"restarts"`       // by the restart policy
	LogFile      string    `json:"logFile,omitempty"`
}

// FromSvc converts a backend's record.
func FromSvc(s svc.Status) ServiceStatus {
	deps := s.Dependencies
	if deps == nil {
		deps = []string{}
	}
	return ServiceStatus{
		ServiceName: s.Name, DisplayName: s.DisplayName, ServiceType: uint32(s.Type),
		CurrentState: uint32(s.State), ControlsAccepted: s.ControlsAccepted, Win32ExitCode: s.Win32ExitCode,
		ServiceSpecificExitCode: s.ServiceSpecificExitCode, CheckPoint: s.CheckPoint, WaitHint: s.WaitHint,
		ProcessID: s.ProcessID, ServiceFlags: s.Flags,
		State: s.State.String(), StartType: s.StartType.String(), Dependencies: deps,
		Since: s.Since, Restarts: s.Restarts, LogFile: s.LogFile,
	}
}

// User is one account of the users file, as user-list shows it.
type User struct {
	Name   string `json:"user"`
	Domain string `json:"domain"` // "" is any domain
	Admin  bool   `json:"admin"`
}

func (r Request) String() string {
	switch r.Op {
	case OpStatus:
		return fmt.Sprintf("status %v", r.Services)
	case OpUserAdd, OpUserDel:
		if r.Domain != "" {
			return fmt.Sprintf("%s %s\\%s", r.Op, r.Domain, r.User)
		}
		return r.Op + " " + r.User
	}
	return r.Op
}
