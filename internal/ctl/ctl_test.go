package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
)

// fakeSwitch is an in-memory disable switch.
type fakeSwitch struct {
	mu       sync.Mutex
	disabled bool
	fail     error
}

func (f *fakeSwitch) set(v bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.disabled = v
	return nil
}
func (f *fakeSwitch) Disable() error { return f.set(true) }
func (f *fakeSwitch) Enable() error  { return f.set(false) }
func (f *fakeSwitch) Disabled() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.disabled, nil
}

// fakeUsers is an in-memory users file.
type fakeUsers struct {
	mu    sync.Mutex
	users map[string]User
	hash  map[string][16]byte
}

func (f *fakeUsers) Add(user, domain string, h [16]byte, admin bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[domain+`\`+user] = User{Name: user, Domain: domain, Admin: admin}
	f.hash[domain+`\`+user] = h
	return nil
}

func (f *fakeUsers) Del(user, domain string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[domain+`\`+user]; !ok {
		return fmt.Errorf("no such user %s", user)
	}
	delete(f.users, domain+`\`+user)
	return nil
}

func (f *fakeUsers) List() ([]User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []User
	for _, u := range f.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// audits collects audit records.
type audits struct {
	mu   sync.Mutex
	recs []iiss.AuditRecord
}

func (a *audits) Audit(_ context.Context, r iiss.AuditRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, r)
}

func (a *audits) all() []iiss.AuditRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.recs)
}

var testServices = []svc.Status{
	{Name: "WAS", DisplayName: "Windows Process Activation Service", Type: svc.TypeOwnProcess, State: svc.Running,
		ControlsAccepted: svc.AcceptStop | svc.AcceptShutdown, ProcessID: 4242, StartType: svc.AutoStart,
		Since: time.Unix(1_800_000_000, 0), LogFile: "/var/lib/iissd/logs/WAS.log"},
	{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", Type: svc.TypeOwnProcess, State: svc.Stopped,
		Win32ExitCode: svc.ExitServiceSpecificError, ServiceSpecificExitCode: 3, StartType: svc.AutoStart,
		Dependencies: []string{"WAS"}, Restarts: 2},
}

type harness struct {
	srv    *Server
	client Client
	sw     *fakeSwitch
	users  *fakeUsers
	audit  *audits
	reload int
}

// start runs a Server on a socket in a fresh directory; edit adjusts its
// configuration.
func start(t *testing.T, edit func(*Config)) *harness {
	t.Helper()
	h := &harness{sw: &fakeSwitch{}, users: &fakeUsers{users: map[string]User{}, hash: map[string][16]byte{}}, audit: &audits{}}
	var mu sync.Mutex
	cfg := Config{
		Path:     SocketPath(shortDir(t)),
		Services: func(context.Context) ([]svc.Status, error) { return slices.Clone(testServices), nil },
		Switch:   h.sw, Users: h.users, Auditor: h.audit,
		Reload: func() error { mu.Lock(); h.reload++; mu.Unlock(); return nil },
		Logger: slog.New(slog.NewTextHandler(tlog{t}, nil)),
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	h.srv, h.client = srv, Client{Path: cfg.Path}
	return h
}

// tlog sends the server's log to the test's.
type tlog struct{ t *testing.T }

func (w tlog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// shortDir is a temporary directory with a path short enough for a
// Unix socket (sun_path holds 108 bytes; t.TempDir can be longer).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStatus(t *testing.T) {
	h := start(t, nil)
	ctx := ctxT(t)
	r, err := h.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Services) != 2 || r.Services[0].ServiceName != "WAS" || r.Services[1].ServiceName != "W3SVC" {
		t.Fatalf("services: %+v", r.Services)
	}
	if got, want := r.Services[1], FromSvc(testServices[1]); !equalJSON(t, got, want) {
		t.Errorf("W3SVC:\n got %+v\nwant %+v", got, want)
	}
	if r.Services[0].ProcessID != 4242 || !r.Services[0].Since.Equal(testServices[0].Since) {
		t.Errorf("WAS: %+v", r.Services[0])
	}
	if r.Disabled == nil || *r.Disabled {
		t.Errorf("disabled = %v, want false", r.Disabled)
	}
	r, err = h.client.Status(ctx, "w3svc")
	if err != nil || len(r.Services) != 1 || r.Services[0].ServiceName != "W3SVC" {
		t.Fatalf("status w3svc: %v %+v", err, r)
	}
	_, err = h.client.Status(ctx, "W3SVC", "FTPSVC")
	var re *RemoteError
	if !errors.Is(err, ErrUnknownService) || !errors.As(err, &re) || !strings.Contains(re.Message, "FTPSVC") ||
		!strings.Contains(re.Message, "WAS, W3SVC") {
		t.Errorf("unknown service: %v", err)
	}
	if len(h.audit.all()) != 0 {
		t.Errorf("status was audited: %+v", h.audit.all())
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// TestJSONFieldNames pins the structure's field names on the channel and
// in `iissd status --json`.
func TestJSONFieldNames(t *testing.T) {
	b, err := json.Marshal(FromSvc(testServices[0]))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"lpServiceName", "lpDisplayName", "dwServiceType", "dwCurrentState", "dwControlsAccepted",
		"dwWin32ExitCode", "dwServiceSpecificExitCode", "dwCheckPoint", "dwWaitHint", "dwProcessId", "dwServiceFlags",
		"state", "startType", "dependencies", "since", "restarts", "logFile"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	if m["dwProcessId"] != 4242.0 || m["dwCurrentState"] != 4.0 || m["state"] != "Running" || m["since"] != "2027-01-15T08:00:00Z" {
		t.Errorf("values: %s", b)
	}
	b, _ = json.Marshal(FromSvc(svc.Status{Name: "x"}))
	if strings.Contains(string(b), "since") || !strings.Contains(string(b), `"dependencies":[]`) {
		t.Errorf("zero extras: %s", b)
	}
}

func TestDisableEnable(t *testing.T) {
	h := start(t, nil)
	ctx := ctxT(t)
	msg, err := h.client.SetDisabled(ctx, true)
	if err != nil || !strings.Contains(msg, "disabled") {
		t.Fatalf("disable: %q %v", msg, err)
	}
	if d, _ := h.sw.Disabled(); !d {
		t.Fatal("the switch is not on after disable")
	}
	r, err := h.client.Status(ctx)
	if err != nil || r.Disabled == nil || !*r.Disabled {
		t.Fatalf("status after disable: %v %+v", err, r)
	}
	if _, err := h.client.SetDisabled(ctx, false); err != nil {
		t.Fatal(err)
	}
	if d, _ := h.sw.Disabled(); d {
		t.Fatal("the switch is still on after enable")
	}
	h.sw.fail = errors.New("read-only file system")
	_, err = h.client.SetDisabled(ctx, true)
	if !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("failed disable: %v", err)
	}
	recs := h.audit.all()
	if len(recs) != 3 {
		t.Fatalf("audit: %+v", recs)
	}
	for i, want := range []struct {
		method string
		hr     iiss.HRESULT
	}{{"Local disable", iiss.S_OK}, {"Local enable", iiss.S_OK}, {"Local disable", iiss.E_FAIL}} {
		if recs[i].Method != want.method || recs[i].Result != want.hr || !strings.Contains(recs[i].Caller.User, "local socket") {
			t.Errorf("audit %d: %+v", i, recs[i])
		}
	}
	if self := fmt.Sprintf("uid %d, pid %d", os.Geteuid(), os.Getpid()); !strings.Contains(recs[0].Caller.User, self) {
		t.Errorf("audit caller %q does not name %s", recs[0].Caller.User, self)
	}
}

// lyingSwitch accepts Disable but keeps reading enabled.
type lyingSwitch struct{ fakeSwitch }

func (l *lyingSwitch) Disable() error { return nil }

func TestDisableIsVerified(t *testing.T) {
	h := start(t, func(c *Config) { c.Switch = &lyingSwitch{} })
	_, err := h.client.SetDisabled(ctxT(t), true)
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("a disable that did not take reported %v", err)
	}
}

func TestUsers(t *testing.T) {
	h := start(t, nil)
	ctx := ctxT(t)
	hash := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	if _, err := h.client.AddUser(ctx, "admin", "", hash, true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.AddUser(ctx, "viewer", "CORP", hash, false); err != nil {
		t.Fatal(err)
	}
	if h.users.hash[`\admin`] != hash {
		t.Errorf("hash not carried: %x", h.users.hash[`\admin`])
	}
	list, err := h.client.ListUsers(ctx)
	want := []User{{"admin", "", true}, {"viewer", "CORP", false}}
	if err != nil || !slices.Equal(list, want) {
		t.Fatalf("list: %v %+v", err, list)
	}
	if _, err := h.client.DelUser(ctx, "viewer", "CORP"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.DelUser(ctx, "viewer", "CORP"); !errors.Is(err, ErrFailed) {
		t.Errorf("deleting a missing user: %v", err)
	}
	for _, req := range []Request{
		{Op: OpUserAdd, User: "x", NTHash: "abc"},
		{Op: OpUserAdd, NTHash: strings.Repeat("00", 16)},
		{Op: OpUserDel},
	} {
		if _, err := h.client.Do(ctx, req); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%+v: %v", req, err)
		}
	}
	if _, err := h.client.Reload(ctx); err != nil || h.reload != 1 {
		t.Errorf("reload: %v (%d calls)", err, h.reload)
	}
	var methods []string
	for _, r := range h.audit.all() {
		methods = append(methods, r.Method)
	}
	wantM := []string{`Local user-add admin`, `Local user-add CORP\viewer`, `Local user-del CORP\viewer`,
		`Local user-del CORP\viewer`, `Local user-add x`, `Local user-add `, `Local user-del `, `Local reload`}
	if !slices.Equal(methods, wantM) {
		t.Errorf("audited %q\n    want %q", methods, wantM)
	}
}

func TestUnsupported(t *testing.T) {
	h := start(t, func(c *Config) { c.Switch, c.Users, c.Reload = nil, nil, nil })
	ctx := ctxT(t)
	for _, op := range []string{OpDisable, OpEnable, OpUserList, OpReload} {
		if _, err := h.client.Do(ctx, Request{Op: op}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", op, err)
		}
	}
	if _, err := h.client.AddUser(ctx, "a", "", [16]byte{}, true); !errors.Is(err, ErrUnsupported) {
		t.Errorf("user-add: %v", err)
	}
}

// raw sends b and returns the raw response line.
func raw(t *testing.T, path string, b []byte) Response {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { c.Write(b); c.(*net.UnixConn).CloseWrite() }()
	line, err := io.ReadAll(c)
	if err != nil && len(line) == 0 { // ECONNRESET after the line: we were still writing
		t.Fatal(err)
	}
	var r Response
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("response %q: %v", line, err)
	}
	return r
}

func TestBadRequests(t *testing.T) {
	h := start(t, nil)
	for name, in := range map[string][]byte{
		"not json":      []byte("status\n"),
		"unknown op":    []byte(`{"op":"format-disk"}` + "\n"),
		"unknown field": []byte(`{"op":"status","force":true}` + "\n"),
		"too large":     append(append([]byte(`{"op":"status","services":["`), bytes.Repeat([]byte("A"), MaxRequest)...), "\"]}\n"...),
		"empty":         []byte("\n"),
	} {
		r := raw(t, h.srv.Path(), in)
		if r.OK || r.Code != CodeBadRequest || r.Error == "" {
			t.Errorf("%s: %+v", name, r)
		}
	}
	// A last line without its newline is still one request.
	if r := raw(t, h.srv.Path(), []byte(`{"op":"status"}`)); !r.OK || len(r.Services) != 2 {
		t.Errorf("no newline: %+v", r)
	}
}

func TestDeadline(t *testing.T) {
	h := start(t, func(c *Config) { c.Deadline = 200 * time.Millisecond })
	c, err := net.Dial("unix", h.srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(`{"op":`)) // and nothing more
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	begin := time.Now()
	line, _ := io.ReadAll(c)
	if time.Since(begin) > 5*time.Second {
		t.Fatal("the server held an idle connection past its deadline")
	}
	if len(line) > 0 {
		var r Response
		if json.Unmarshal(line, &r); r.OK {
			t.Errorf("an incomplete request got %s", line)
		}
	}
}

func TestBusy(t *testing.T) {
	h := start(t, func(c *Config) { c.MaxConns = 1; c.Deadline = 5 * time.Second })
	hold, err := net.Dial("unix", h.srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	// The held connection occupies the only slot once the server accepted
	// it; retry until the refusal shows (bounded).
	var last error
	for range 50 {
		_, last = h.client.Status(ctxT(t))
		if errors.Is(last, ErrBusy) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !errors.Is(last, ErrBusy) {
		t.Fatalf("second connection: %v, want busy", last)
	}
	hold.Close()
	for range 100 {
		if _, last = h.client.Status(ctxT(t)); last == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("after the slot freed: %v", last)
}

func TestRefusedByAllowed(t *testing.T) {
	h := start(t, func(c *Config) { c.Allowed = func(uint32) bool { return false } })
	_, err := h.client.SetDisabled(ctxT(t), true)
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("refused peer: %v", err)
	}
	if d, _ := h.sw.Disabled(); d {
		t.Fatal("a refused peer disabled the server")
	}
	recs := h.audit.all()
	if len(recs) != 1 || recs[0].Method != `Local "disable"` || recs[0].Result != iiss.E_ACCESSDENIED {
		t.Errorf("refusal audit: %+v", recs)
	}
}

func TestSocketFile(t *testing.T) {
	h := start(t, nil)
	fi, err := os.Lstat(h.srv.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want socket 0600", fi.Mode())
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(h.srv.Path()), ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary names left: %v", leftovers)
	}
	// A second server on a live socket fails and leaves the first alone.
	if _, err := Listen(Config{Path: h.srv.Path(), Services: h.srv.cfg.Services}); err == nil ||
		!strings.Contains(err.Error(), "another iissd") {
		t.Errorf("second Listen: %v", err)
	}
	if _, err := h.client.Status(ctxT(t)); err != nil {
		t.Errorf("first server after a second Listen: %v", err)
	}
	h.srv.Close()
	if _, err := os.Lstat(h.srv.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
	if _, err := h.client.Status(ctxT(t)); !errors.Is(err, ErrNotRunning) {
		t.Errorf("after Close: %v, want ErrNotRunning", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	dir := shortDir(t)
	path := SocketPath(dir)
	// A socket nobody listens on, as a killed iissd leaves it.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := (Client{Path: path}).Status(ctxT(t)); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("stale socket: %v, want ErrNotRunning", err)
	}
	h := start(t, func(c *Config) { c.Path = path })
	if _, err := h.client.Status(ctxT(t)); err != nil {
		t.Fatalf("server on a stale socket: %v", err)
	}
	// Not a socket: refuse to replace it.
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(Config{Path: filepath.Join(dir, "file"), Services: h.srv.cfg.Services}); err == nil {
		t.Error("Listen replaced a regular file")
	}
}

func TestNotRunning(t *testing.T) {
	_, err := (Client{Path: filepath.Join(shortDir(t), SocketName)}).Status(ctxT(t))
	if !errors.Is(err, ErrNotRunning) {
		t.Fatalf("%v", err)
	}
}

func TestWriteQueryEx(t *testing.T) {
	list := []ServiceStatus{FromSvc(testServices[0]), FromSvc(testServices[1])}
	list[0].CheckPoint, list[0].WaitHint = 0, 0
	var b bytes.Buffer
	if err := WriteQueryEx(&b, list, time.Unix(1_800_000_090, 0)); err != nil {
		t.Fatal(err)
	}
	want := `
SERVICE_NAME: WAS
DISPLAY_NAME: Windows Process Activation Service
        TYPE               : 10  WIN32_OWN_PROCESS
        STATE              : 4  RUNNING
                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)
        WIN32_EXIT_CODE    : 0  (0x0)
        SERVICE_EXIT_CODE  : 0  (0x0)
        CHECKPOINT         : 0x0
        WAIT_HINT          : 0x0
        PID                : 4242
        FLAGS              :
        START_TYPE         : 2   AUTO_START
        SINCE              : 2027-01-15 08:00:00 UTC (1m30s ago)
        RESTARTS           : 0
        LOG_FILE           : /var/lib/iissd/logs/WAS.log

SERVICE_NAME: W3SVC
DISPLAY_NAME: World Wide Web Publishing Service
        TYPE               : 10  WIN32_OWN_PROCESS
        STATE              : 1  STOPPED
                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)
        WIN32_EXIT_CODE    : 1066  (0x42a)
        SERVICE_EXIT_CODE  : 3  (0x3)
        CHECKPOINT         : 0x0
        WAIT_HINT          : 0x0
        PID                : 0
        FLAGS              :
        START_TYPE         : 2   AUTO_START
        DEPENDENCIES       : WAS
        SINCE              : -
        RESTARTS           : 2
        LOG_FILE           :
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{`{"op":"status"}` + "\n", `{"op":"status","services":["W3SVC"]}` + "\n",
		`{"op":"user-add","user":"a","domain":"D","nt_hash":"00112233445566778899aabbccddeeff","admin":true}` + "\n",
		`{"op":`, "\n", "{}\n{}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := readRequest(bytes.NewReader(b))
		if err == nil && len(req.Services) > MaxRequest {
			t.Fatalf("%d services from %d bytes", len(req.Services), len(b))
		}
	})
}

func TestSetDisabledRoutes(t *testing.T) {
	// No server: the switch file, and the outcome says so.
	dir := shortDir(t)
	o, file, err := SetDisabled(ctxT(t), dir, true)
	if err != nil || o.ViaServer || !errors.Is(o.NotRunning, ErrNotRunning) || file != filepath.Join(dir, iiss.DisabledFileName) {
		t.Fatalf("no server: %+v %q %v", o, file, err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("switch file: %v", err)
	}
	if !strings.Contains(o.Describe(), "not running") {
		t.Errorf("describe: %q", o.Describe())
	}
	// A server on that state directory: it applies the change itself.
	h := start(t, func(c *Config) { c.Path = SocketPath(dir) })
	o, _, err = SetDisabled(ctxT(t), dir, false)
	if err != nil || !o.ViaServer || !strings.Contains(o.Describe(), "running iissd") {
		t.Fatalf("server: %+v %v", o, err)
	}
	if d, _ := h.sw.Disabled(); d || h.sw.fail != nil {
		t.Fatal("the server's switch was not used")
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal("the file was touched behind the running server's back")
	}
	// A server that fails: no fallback to the file.
	h.sw.fail = errors.New("boom")
	if _, _, err := SetDisabled(ctxT(t), dir, true); !errors.Is(err, ErrFailed) {
		t.Fatalf("failing server: %v", err)
	}
}
