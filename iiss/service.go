package iiss

import (
	"context"
	"net/netip"
	"time"

	"github.com/iisctl/iisctl/svc"
)

// Service is IIisServiceControl as Go sees it ([MS-IISS] 3.1.4): the
// Internet services controlled as one unit. Three things implement it:
// [Local] (the server semantics over a svc.Manager), iisstest.Fake, and
// the DCOM wire client. Failures the server reported as an HRESULT are
// returned as errors wrapping that [HRESULT]; transport failures are
// other errors.
type Service interface {
	// Stop stops every service gracefully within timeout; if that fails
	// and force is set, the remaining processes are killed (3.1.4.1).
	Stop(ctx context.Context, timeout time.Duration, force bool) error
	// Start starts the auto-start services within timeout (3.1.4.2).
	Start(ctx context.Context, timeout time.Duration) error
	// Reboot restarts the computer after timeout, forcing applications
	// closed if force is set; E_NOTIMPL where unsupported (3.1.4.3).
	Reboot(ctx context.Context, timeout time.Duration, force bool) error
	// Status reports every service (3.1.4.4).
	Status(ctx context.Context) ([]ServiceStatus, error)
	// Kill terminates every process of the services (3.1.4.5).
	Kill(ctx context.Context) error
}

// ServiceStatus is one entry of a STATUS_BLOB ([MS-IISS] 2.2.1): the
// names and the SERVICE_STATUS of [MS-SCMR] 2.2.47. It holds exactly what
// the wire carries, so it survives a round trip through any Service;
// svc.Status has more (process id, start type) and converts with
// [StatusFromSvc].
type ServiceStatus struct {
	Name        string
	DisplayName string

	Type                    svc.Type  // dwServiceType
	State                   svc.State // dwCurrentState
	ControlsAccepted        uint32
	Win32ExitCode           uint32
	ServiceSpecificExitCode uint32
	CheckPoint              uint32
	WaitHint                uint32 // milliseconds
}

// StatusFromSvc keeps the wire fields of s.
func StatusFromSvc(s svc.Status) ServiceStatus {
	return ServiceStatus{
		Name: s.Name, DisplayName: s.DisplayName, Type: s.Type, State: s.State,
		ControlsAccepted: s.ControlsAccepted, Win32ExitCode: s.Win32ExitCode,
		ServiceSpecificExitCode: s.ServiceSpecificExitCode, CheckPoint: s.CheckPoint, WaitHint: s.WaitHint,
	}
}

// Caller is who made a call, for auditing: the authenticated user
// (DOMAIN\user, or "" when unknown) and the client's address.
type Caller struct {
	User string
	Addr netip.AddrPort
	Mech string // "NTLM" or "Kerberos": what authenticated User
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the Caller in ctx, if any.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
