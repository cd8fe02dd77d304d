package ctl

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/iisctl/iisctl/iiss"
)

// Outcome says how a local command applied a change: through the running
// iissd, or to the files because none was running.
type Outcome struct {
	ViaServer bool   // the running iissd applied it and uses it now
	Socket    string // the control socket tried
	Message   string // the server's message (ViaServer)
	// NotRunning is why the server was not used (not ViaServer).
	NotRunning error
}

// Describe is one line for a person: which way the change went.
func (o Outcome) Describe() string {
	if o.ViaServer {
		return "applied by the running iissd (control socket " + o.Socket + "); it uses the change now"
	}
	return "iissd is not running (no control socket at " + o.Socket + "): changed the files; the server reads them when it starts"
}

// Fallback runs viaServer against the iissd whose state directory is
// stateDir and, only if no iissd runs there (ErrNotRunning), runs
// viaFiles instead. Any other failure of the server (a refusal, an
// error) is returned as is: the files are not touched behind a running
// server's back.
func Fallback(ctx context.Context, stateDir string, viaServer func(context.Context, Client) (string, error),
	viaFiles func() error) (Outcome, error) {
	c := Client{Path: SocketPath(stateDir)}
	o := Outcome{Socket: c.Path}
	msg, err := viaServer(ctx, c)
	switch {
	case err == nil:
		o.ViaServer, o.Message = true, msg
		return o, nil
	case !errors.Is(err, ErrNotRunning):
		return o, err
	}
	o.NotRunning = err
	return o, viaFiles()
}

// SetDisabled turns remote control off (true) or on for the iissd of
// stateDir: through its control channel when it runs, else in the switch
// file (iiss.FileDisableState), which it reads when it starts. This is
// `iissd disable|enable` and iisreset's local /DISABLE and /ENABLE.
// switchFile is the flag file either way.
func SetDisabled(ctx context.Context, stateDir string, disabled bool) (o Outcome, switchFile string, err error) {
	switchFile = filepath.Join(stateDir, iiss.DisabledFileName)
	o, err = Fallback(ctx, stateDir,
		func(ctx context.Context, c Client) (string, error) { return c.SetDisabled(ctx, disabled) },
		func() error {
			st, err := iiss.NewFileDisableState(stateDir)
			if err != nil {
				return err
			}
			if disabled {
				return st.Disable()
			}
			return st.Enable()
		})
	if err != nil {
		return o, switchFile, fmt.Errorf("%s: %w", map[bool]string{true: "disable", false: "enable"}[disabled], err)
	}
	return o, switchFile, nil
}
