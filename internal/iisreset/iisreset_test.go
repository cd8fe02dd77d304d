package iisreset

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/svc"
)

func TestParse(t *testing.T) {
	cases := []struct {
		args []string
		want Options
	}{
		{nil, Options{Action: Restart}},
		{[]string{"web01"}, Options{Computer: "web01", Action: Restart}},
		{[]string{`\\web01`, "/STOP"}, Options{Computer: "web01", Action: Stop}},
		{[]string{"/stop", "/noforce", "/timeout:5"}, Options{Action: Stop, NoForce: true, Timeout: 5 * time.Second, TimeoutSet: true}},
		{[]string{"-Restart", "/REBOOTONERROR"}, Options{Action: Restart, RebootOnError: true}},
		{[]string{"/status", "host:1135"}, Options{Computer: "host:1135", Action: Status}},
		{[]string{"/?"}, Options{Action: Help}},
		{[]string{"/DISABLE"}, Options{Action: Disable}},
	}
	for _, c := range cases {
		got, err := Parse(c.args)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
	for _, bad := range [][]string{{"/bogus"}, {"/stop", "/start"}, {"a", "b"}, {"/timeout"}, {"/timeout:x"}, {"/timeout:-1"}, {"/stop:1"}} {
		if _, err := Parse(bad); !errors.Is(err, ErrUsage) {
			t.Errorf("Parse(%q) = %v, want ErrUsage", bad, err)
		}
	}
}

func TestDefaultTimeouts(t *testing.T) {
	check := func(o Options, stop, start time.Duration) {
		t.Helper()
		if o.StopTimeout() != stop || o.StartTimeout() != start {
			t.Errorf("%+v: stop %v start %v, want %v %v", o, o.StopTimeout(), o.StartTimeout(), stop, start)
		}
	}
	check(Options{Action: Restart}, 20*time.Second, 60*time.Second)
	check(Options{Action: Stop}, 60*time.Second, 60*time.Second)
	check(Options{Action: Reboot}, 0, 60*time.Second)
	check(Options{Action: Stop, Timeout: 7 * time.Second, TimeoutSet: true}, 7*time.Second, 7*time.Second)
}

type fakeTarget struct {
	calls             []string
	stopErr, startErr error
	rebootErr         error
	lastForce         bool
	lastTimeout       time.Duration
}

func (f *fakeTarget) Stop(_ context.Context, d time.Duration, force bool) error {
	f.calls = append(f.calls, "stop")
	f.lastForce, f.lastTimeout = force, d
	return f.stopErr
}
func (f *fakeTarget) Start(_ context.Context, d time.Duration) error {
	f.calls = append(f.calls, "start")
	return f.startErr
}
func (f *fakeTarget) Reboot(context.Context, time.Duration, bool) error {
	f.calls = append(f.calls, "reboot")
	return f.rebootErr
}
func (f *fakeTarget) Status(context.Context) ([]iiss.ServiceStatus, error) {
	return []iiss.ServiceStatus{
		{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", State: svc.Running},
		{Name: "WAS", DisplayName: "Windows Process Activation Service", State: svc.Stopped},
	}, nil
}

func runOut(t *testing.T, f *fakeTarget, args ...string) (string, int) {
	t.Helper()
	o, err := Parse(args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := (&Runner{Out: &out}).Run(context.Background(), f, o)
	return out.String(), code
}

func TestRunLines(t *testing.T) {
	cases := []struct {
		name string
		f    *fakeTarget
		args []string
		out  string
		code int
	}{
		{"restart", &fakeTarget{}, nil,
			"Attempting stop...\nInternet services successfully stopped\nAttempting start...\nInternet services successfully restarted\n", 0},
		{"stop", &fakeTarget{}, []string{"/stop"}, "Attempting stop...\nInternet services successfully stopped\n", 0},
		{"start", &fakeTarget{}, []string{"/start"}, "Attempting start...\nInternet services successfully started\n", 0},
		{"restart fails at stop", &fakeTarget{stopErr: errors.New("boom")}, nil,
			"Attempting stop...\nRestart attempt failed.\nboom\n", 1},
		{"restart fails at start, reboot on error", &fakeTarget{startErr: errors.New("boom")}, []string{"/rebootonerror"},
			"Attempting stop...\nInternet services successfully stopped\nAttempting start...\nRestart attempt failed.\nboom\nAttempting reboot...\nReboot of the computer was initiated\n", 1},
		{"status", &fakeTarget{}, []string{"/status"},
			"Status for World Wide Web Publishing Service ( W3SVC ) : Running\nStatus for Windows Process Activation Service ( WAS ) : Stopped\n", 0},
		{"reboot refused", &fakeTarget{rebootErr: errors.New("not implemented")}, []string{"/reboot"},
			"Attempting reboot...\nReboot attempt failed.\nnot implemented\n", 1},
		{"disable remote", &fakeTarget{}, []string{"/disable"},
			"The /ENABLE and /DISABLE switches work only on the local computer, where iissd runs.\n", ExitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code := runOut(t, c.f, c.args...)
			if out != c.out || code != c.code {
				t.Fatalf("got %q exit %d\nwant %q exit %d", out, code, c.out, c.code)
			}
		})
	}
}

func TestNoForceAndTimeoutReachTarget(t *testing.T) {
	f := &fakeTarget{}
	runOut(t, f, "/stop", "/noforce", "/timeout:3")
	if f.lastForce || f.lastTimeout != 3*time.Second {
		t.Fatalf("force %v timeout %v", f.lastForce, f.lastTimeout)
	}
	runOut(t, f)
	if !f.lastForce || f.lastTimeout != 20*time.Second {
		t.Fatalf("restart: force %v timeout %v", f.lastForce, f.lastTimeout)
	}
}
