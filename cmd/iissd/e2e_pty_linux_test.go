package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/iisctl/iisctl/internal/peertest"
)

// openPTY opens a pseudo-terminal pair (/dev/ptmx, then /dev/pts/N).
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	const tiocsptlck, tiocgptn = 0x40045431, 0x80045430
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), tiocsptlck, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), tiocgptn, uintptr(unsafe.Pointer(&n))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// TestE2EStatusTerminal: on a terminal, status is an aligned table with
// a header.
func TestE2EStatusTerminal(t *testing.T) {
	t.Parallel()
	master, slave, err := openPTY()
	if err != nil {
		peertest.Skip(t, "no pseudo-terminal to test the terminal table on: %v", err)
	}
	defer master.Close()
	d := startReady(t, demoOptions{})

	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, iisctlBin(t), "status", d.Target(), "-u", testAdmin)
	cmd.Env = cleanEnv("IISCTL_PASSWORD=" + testAdminPass)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), slave, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&out, master); close(copied) }() // ends with EIO when iisctl exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("iisctl status on a terminal: %v\n%s", err, stderr.String())
	}
	<-copied
	got := strings.ReplaceAll(out.String(), "\r\n", "\n")
	tg := d.Target()
	pad := strings.Repeat(" ", len(tg)-len("HOST"))
	want := "HOST" + pad + "  SERVICE  DISPLAY NAME                        STATE    EXIT CODE\n" +
		tg + "  WAS      Windows Process Activation Service  Running  0\n" +
		tg + "  W3SVC    World Wide Web Publishing Service   Running  0\n" +
		tg + "  FTPSVC   Microsoft FTP Service               Stopped  0\n"
	if got != want {
		t.Fatalf("terminal output:\n%s\nwant\n%s", got, want)
	}
}

// ptyRun is iisctl running with stdout and stderr on a pseudo-terminal,
// its output collected as it comes.
type ptyRun struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

func startOnPTY(t *testing.T, args ...string) *ptyRun {
	t.Helper()
	master, slave, err := openPTY()
	if err != nil {
		peertest.Skip(t, "no pseudo-terminal to test the terminal output on: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	cmd := exec.Command(iisctlBin(t), args...)
	cmd.Env = cleanEnv("IISCTL_PASSWORD=" + testAdminPass)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	p := &ptyRun{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	go io.Copy(p.out, master) // ends with EIO when iisctl exits
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

// waitOut waits (bounded) until the terminal shows s.
func (p *ptyRun) waitOut(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q:\n%q", s, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRe is waitOut for a pattern.
func (p *ptyRun) waitRe(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !re.MatchString(p.out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q:\n%q", re, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *ptyRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		t.Fatalf("iisctl did not exit:\n%q", p.out.String())
	}
	return -1
}

// slowStop is a service whose stop takes about three seconds.
func slowStop(c *Config) {
	c.Services = append(c.Services, ServiceConfig{Name: "SLOW", DisplayName: "Slow To Stop", Start: "auto",
		Command: []string{"/bin/sh", "-c", `trap 'sleep 3; exit 0' TERM; while :; do sleep 0.1; done`}})
}

// TestE2EProgressTerminal (issue 14, point 4): on a terminal, stop shows
// each service's state changes while the call runs, with a spinner; the
// first Ctrl-C says the stop goes on at the server and iisctl keeps
// waiting for its result; a second one stops waiting (exit 130) while the
// server finishes.
func TestE2EProgressTerminal(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{Edit: slowStop})
	waitStates(t, d, map[string]string{"SLOW": "Running"})
	slowPending := regexp.MustCompile(regexp.QuoteMeta(d.Target()) + "  SLOW     (Running -> )?Stop Pending\r\n")

	p := startOnPTY(t, "stop", d.Target(), "-u", testAdmin)
	p.waitOut(t, "stopping the Internet services: 0 of 1 host(s) done")
	// The state when the second connection first sees it, then changes.
	p.waitRe(t, slowPending)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	p.waitOut(t, "iisctl: interrupted: the stop goes on at "+d.Target()+": the server finishes it whatever iisctl does. "+
		"iisctl waits for the result; press Ctrl-C again to stop waiting.")
	if code := p.wait(t); code != 0 {
		t.Fatalf("stop after one Ctrl-C: exit %d, want 0 (it waited for the result):\n%q", code, p.out.String())
	}
	p.waitOut(t, d.Target()+"  SLOW     Stop Pending -> Stopped\r\n")
	p.waitOut(t, "(Ctrl-C again: stop waiting)")
	p.waitOut(t, "Internet services successfully stopped")

	wantCode(t, admin(t, "start", d.Target()), 0)
	waitStates(t, d, map[string]string{"SLOW": "Running"})
	p = startOnPTY(t, "stop", d.Target(), "-u", testAdmin)
	p.waitRe(t, slowPending)
	p.cmd.Process.Signal(os.Interrupt)
	p.waitOut(t, "iisctl: interrupted: the stop goes on at ")
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.wait(t); code != 130 {
		t.Fatalf("exit %d after the second Ctrl-C, want 130:\n%q", code, p.out.String())
	}
	p.waitOut(t, "iisctl: stopped waiting; the stop may still be running on the server: see 'iisctl status "+d.Target()+"'")
	if strings.Contains(p.out.String(), "successfully stopped") {
		t.Fatalf("a result after iisctl stopped waiting:\n%q", p.out.String())
	}
	// The server went on.
	waitStates(t, d, map[string]string{"SLOW": "Stopped", "W3SVC": "Stopped"})
}
