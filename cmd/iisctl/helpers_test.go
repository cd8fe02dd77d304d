package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss/iisstest"
	"github.com/iisctl/iisctl/svc/svctest"
)

// stub is a Conn over an iisstest.Fake that records calls and can fail
// any of them.
type stub struct {
	*iisstest.Fake
	mu    sync.Mutex
	calls []string
	errs  map[string]error
}

func newStub(running bool) *stub {
	s := &stub{Fake: iisstest.NewFake([]svctest.Spec{svctest.Web(), svctest.Worker(), svctest.OnDemand()}, false),
		errs: map[string]error{}}
	if running {
		if err := s.Fake.Start(context.Background(), time.Second); err != nil {
			panic(err)
		}
	}
	return s
}

func (s *stub) fail(op string, err error) *stub { s.errs[op] = err; return s }

func (s *stub) rec(op, call string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	return s.errs[op]
}

func (s *stub) Calls() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.calls, "; ")
}

func (s *stub) Stop(ctx context.Context, d time.Duration, force bool) error {
	if err := s.rec("stop", fmt.Sprintf("stop %v force=%v", d, force)); err != nil {
		return err
	}
	return s.Fake.Stop(ctx, d, force)
}

func (s *stub) Start(ctx context.Context, d time.Duration) error {
	if err := s.rec("start", fmt.Sprintf("start %v", d)); err != nil {
		return err
	}
	return s.Fake.Start(ctx, d)
}

func (s *stub) Reboot(ctx context.Context, d time.Duration, force bool) error {
	if err := s.rec("reboot", fmt.Sprintf("reboot %v force=%v", d, force)); err != nil {
		return err
	}
	return s.Fake.Reboot(ctx, d, force)
}

func (s *stub) Kill(ctx context.Context) error {
	if err := s.rec("kill", "kill"); err != nil {
		return err
	}
	return s.Fake.Kill(ctx)
}

func (s *stub) Close() error { s.rec("", "close"); return nil }

// env is a Factory over buffers and a fake dialer.
type env struct {
	f           *Factory
	out, errOut *bytes.Buffer
	hosts       map[string]*stub // by Target.String()
	dialErrs    map[string]error
	mu          sync.Mutex
	creds       []Credentials
	conns       []ConnOptions
	vars        map[string]string
}

func newEnv(tty bool) *env {
	e := &env{out: &bytes.Buffer{}, errOut: &bytes.Buffer{}, hosts: map[string]*stub{},
		dialErrs: map[string]error{}, vars: map[string]string{}}
	e.f = &Factory{
		IO:      &IOStreams{In: strings.NewReader(""), Out: e.out, ErrOut: e.errOut, OutIsTTY: tty},
		Dial:    e.dial,
		Getenv:  func(k string) string { return e.vars[k] },
		Since:   func(time.Time) time.Duration { return 1500 * time.Millisecond },
		Version: "v0.0.0-test",
	}
	e.vars[EnvPassword] = "envpass"
	return e
}

func (e *env) dial(ctx context.Context, t Target, c Credentials, o ConnOptions) (Conn, error) {
	if _, ok := ctx.Deadline(); !ok && o.DialTimeout > 0 {
		return nil, fmt.Errorf("dial context has no deadline")
	}
	e.mu.Lock()
	e.creds = append(e.creds, Credentials{Domain: c.Domain, User: c.User, Password: c.Password,
		NTHash: append([]byte(nil), c.NTHash...)})
	e.conns = append(e.conns, o)
	e.mu.Unlock()
	if err := e.dialErrs[t.String()]; err != nil {
		return nil, err
	}
	s, ok := e.hosts[t.String()]
	if !ok {
		return nil, fmt.Errorf("test: no host %s", t)
	}
	return s, nil
}

// run runs iisctl's argv and returns the exit code.
func (e *env) run(t *testing.T, argv ...string) int {
	t.Helper()
	return run(context.Background(), argv, e.f)
}

func check(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %q\nwant %q\n--- got:\n%s--- want:\n%s", what, got, want, got, want)
	}
}
