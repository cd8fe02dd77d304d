package systemdtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Sandbox is a running systemd --user manager.
type Sandbox struct {
	Dir        string // everything the sandbox writes lives here
	UnitDir    string // first entry of the manager's unit search path
	RuntimeDir string // its XDG_RUNTIME_DIR
	BusAddress string // D-Bus address of the bus systemd1 is on
	PID        int    // the manager's PID

	cgroups  []string
	exited   chan struct{} // closed when the manager exits
	admin    *sd.Conn
	closing  sync.Once
	closeErr error
}

// Start starts a manager under a new directory in dir ("" for the
// default temporary directory) and waits until org.freedesktop.systemd1
// owns its name on the sandbox bus, bounded by ctx.
func Start(ctx context.Context, dir string) (*Sandbox, error) {
	t, err := findTools()
	if err != nil {
		return nil, err
	}
	s, err := newSandbox(dir)
	if err != nil {
		return nil, err
	}
	if err := s.launch(t); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		err = fmt.Errorf("%w\nmanager log (more with %s=debug):\n%s", err, envLogLevel, s.LogTail(30))
		s.Close()
		return nil, err
	}
	return s, nil
}

func newSandbox(dir string) (*Sandbox, error) {
	d, err := os.MkdirTemp(dir, "systemdtest-")
	if err != nil {
		return nil, fmt.Errorf("systemdtest: %w", err)
	}
	s := &Sandbox{
		Dir: d, UnitDir: filepath.Join(d, "units"), RuntimeDir: filepath.Join(d, "runtime"),
		exited: make(chan struct{}),
	}
	s.BusAddress = "unix:path=" + filepath.Join(s.RuntimeDir, "bus")
	for _, sub := range []string{s.UnitDir, s.RuntimeDir, filepath.Join(d, "home")} {
		if err := os.Mkdir(sub, 0o700); err != nil {
			os.RemoveAll(d)
			return nil, fmt.Errorf("systemdtest: %w", err)
		}
	}
	return s, nil
}

// WriteUnit writes a unit file into UnitDir; Reload loads it.
func (s *Sandbox) WriteUnit(name, content string) error {
	return os.WriteFile(filepath.Join(s.UnitDir, name), []byte(content), 0o644)
}

// RemoveUnit deletes a unit file written by WriteUnit.
func (s *Sandbox) RemoveUnit(name string) error {
	return os.Remove(filepath.Join(s.UnitDir, name))
}

// Reload is `systemctl daemon-reload`: it returns once the manager has
// reloaded its units.
func (s *Sandbox) Reload(ctx context.Context) error {
	if err := s.admin.ReloadContext(ctx); err != nil {
		return fmt.Errorf("systemdtest: daemon-reload: %w", err)
	}
	return nil
}

// Conn is the sandbox's own go-systemd connection, for test set-up.
func (s *Sandbox) Conn() *sd.Conn { return s.admin }

// LogTail returns the last n lines of the manager's log.
func (s *Sandbox) LogTail(n int) string {
	b, _ := os.ReadFile(s.logPath())
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (s *Sandbox) logPath() string { return filepath.Join(s.Dir, "manager.log") }

// waitReady waits for the bus socket, connects (which socket-activates
// the bus daemon), and waits for systemd to own its name.
func (s *Sandbox) waitReady(ctx context.Context) error {
	if err := s.waitSocket(ctx); err != nil {
		return err
	}
	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := waitName(ctx, conn, "org.freedesktop.systemd1"); err != nil {
		return err
	}
	s.admin, err = sd.NewConnection(func() (*dbus.Conn, error) {
		return dbus.Connect(s.BusAddress, dbus.WithContext(context.WithoutCancel(ctx)))
	})
	if err != nil {
		return fmt.Errorf("systemdtest: connect systemd: %w", err)
	}
	return nil
}

// connect connects to the sandbox bus. The socket file exists from bind()
// on, before systemd listens, so a refused connection is retried.
func (s *Sandbox) connect(ctx context.Context) (*dbus.Conn, error) {
	for {
		conn, err := dbus.Connect(s.BusAddress, dbus.WithContext(context.WithoutCancel(ctx)))
		if err == nil {
			return conn, nil
		}
		select {
		case <-s.exited:
			return nil, errors.New("systemdtest: manager exited during start-up")
		case <-ctx.Done():
			return nil, fmt.Errorf("systemdtest: connect %s: %w (%w)", s.BusAddress, err, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitSocket waits for the manager to create the bus socket (a file
// system event with no D-Bus to signal it yet: checked every 10 ms).
func (s *Sandbox) waitSocket(ctx context.Context) error {
	sock := filepath.Join(s.RuntimeDir, "bus")
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(sock); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return errors.New("systemdtest: manager exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("systemdtest: no bus socket %s: %w", sock, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitName waits for NameOwnerChanged giving name an owner, checking
// NameHasOwner after subscribing so an owner that came first counts.
func waitName(ctx context.Context, conn *dbus.Conn, name string) error {
	sig := make(chan *dbus.Signal, 16)
	conn.Signal(sig)
	defer conn.RemoveSignal(sig)
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, name)); err != nil {
		return fmt.Errorf("systemdtest: add match: %w", err)
	}
	var has bool
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
	for err == nil && !has {
		select {
		case s := <-sig:
			has = len(s.Body) == 3 && s.Body[0] == name && s.Body[2] != ""
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err != nil {
		return fmt.Errorf("systemdtest: waiting for %s on the bus: %w", name, err)
	}
	return nil
}
