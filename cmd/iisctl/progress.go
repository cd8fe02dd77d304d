package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/iisctl/iisctl/iiss"
)

// Progress of start, stop and restart on a terminal: while the call runs
// on its connection, a second connection to each host polls Status and
// every change of a service's state is printed as it happens, above a
// spinner line. Only on a terminal (stderr); pipes and --json get the
// results alone.
const (
	progressPoll = 400 * time.Millisecond
	spinEvery    = 120 * time.Millisecond
)

var spinFrames = []string{"|", "/", "-", `\`}

// progress draws the spinner and the state changes on w.
type progress struct {
	w     io.Writer
	op    Op
	start time.Time
	mu    sync.Mutex
	hosts int
	done  int
	note  string        // an extra message under the spinner (Ctrl-C)
	line  func() string // replaces the spinner line's text (rolling); nil: the default
	frame int
	quit  chan struct{}
	wg    sync.WaitGroup
}

// newProgress starts the spinner for hosts hosts; stop ends it.
func newProgress(w io.Writer, op Op, hosts int) *progress {
	p := &progress{w: w, op: op, start: time.Now(), hosts: hosts, quit: make(chan struct{})}
	p.wg.Add(1)
	go p.spin()
	return p
}

func (p *progress) spin() {
	defer p.wg.Done()
	t := time.NewTicker(spinEvery)
	defer t.Stop()
	for {
		p.mu.Lock()
		p.drawLocked()
		p.mu.Unlock()
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
	}
}

// drawLocked rewrites the spinner line; mu held.
func (p *progress) drawLocked() {
	p.frame++
	verb := map[Op]string{OpStart: "starting", OpStop: "stopping", OpRestart: "restarting", OpReboot: "rebooting"}[p.op]
	line := fmt.Sprintf("%s %s the Internet services: %d of %d host(s) done, %s",
		spinFrames[p.frame%len(spinFrames)], verb, p.done, p.hosts, time.Since(p.start).Round(time.Second))
	if p.line != nil {
		line = fmt.Sprintf("%s %s, %s", spinFrames[p.frame%len(spinFrames)], p.line(), time.Since(p.start).Round(time.Second))
	}
	if p.note != "" {
		line += "  " + p.note
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

// printf prints a line above the spinner.
func (p *progress) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\x1b[K"+format+"\n", a...)
	p.drawLocked()
}

func (p *progress) setNote(s string) {
	p.mu.Lock()
	p.note = s
	p.mu.Unlock()
}

func (p *progress) hostDone() {
	p.mu.Lock()
	p.done++
	p.mu.Unlock()
}

// stop ends the spinner and clears its line.
func (p *progress) stop() {
	close(p.quit)
	p.wg.Wait()
	fmt.Fprint(p.w, "\r\x1b[K")
}

// watchHost polls t's Status on a second connection and prints each
// service's state changes, until the call is over (done: one last poll
// shows where it ended) or ctx ends. It gives up quietly if that
// connection cannot be made: the operation itself is unaffected.
func (p *progress) watchHost(ctx context.Context, o *ActionOptions, cred Credentials, t Target, done <-chan struct{}) {
	conn, err := dial(ctx, o.Dial, t, cred, o.Conn)
	if err != nil {
		return
	}
	defer conn.Close()
	last := map[string]string{}
	first := true
	tick := time.NewTicker(progressPoll)
	defer tick.Stop()
	poll := func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		list, err := conn.Status(cctx)
		cancel()
		if err == nil {
			p.changes(t, list, last, first)
			first = false
		}
	}
	for {
		poll()
		select {
		case <-ctx.Done():
			return
		case <-done:
			poll()
			return
		case <-tick.C:
		}
	}
}

// changes prints every service's state at the first poll, then the
// services whose state differs from last, and records the new states.
func (p *progress) changes(t Target, list []iiss.ServiceStatus, last map[string]string, first bool) {
	for _, s := range list {
		st := s.State.String()
		switch old, ok := last[s.Name]; {
		case first:
			p.printf("%s  %-8s %s", t, s.Name, st)
		case !ok:
			p.printf("%s  %-8s - -> %s", t, s.Name, st)
		case old != st:
			p.printf("%s  %-8s %s -> %s", t, s.Name, old, st)
		}
		last[s.Name] = st
	}
}

// hasProgress says which commands show progress.
func (op Op) hasProgress() bool { return op == OpStart || op == OpStop || op == OpRestart }

// interruptMessage is what the first Ctrl-C prints for a state-changing
// command: the server goes on, iisctl waits.
func interruptMessage(o *ActionOptions) string {
	return interruptText(string(o.Op), o.Targets)
}

func interruptText(op string, targets []Target) string {
	return fmt.Sprintf("interrupted: the %s goes on at %s: the server finishes it whatever iisctl does. "+
		"iisctl waits for the result; press Ctrl-C again to stop waiting.", op, hostList(targets, ", "))
}

// stoppedWaitingMessage is what the second Ctrl-C prints.
func stoppedWaitingMessage(o *ActionOptions) string {
	return stoppedWaitingText(string(o.Op), o.Targets)
}

func stoppedWaitingText(op string, targets []Target) string {
	return fmt.Sprintf("stopped waiting; the %s may still be running on the server: see 'iisctl status %s'",
		op, hostList(targets, " "))
}

func hostList(targets []Target, sep string) string {
	hosts := make([]string, len(targets))
	for i, t := range targets {
		hosts[i] = t.String()
	}
	return strings.Join(hosts, sep)
}
