package peertest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartTimeout bounds the wait for the capturer to report "Capturing on".
const StartTimeout = 20 * time.Second

// StopTimeout bounds the wait for the capturer to flush and exit.
const StopTimeout = 15 * time.Second

// settle is how long to wait for the kernel to hand packets over when the
// capturer does not report its packet count (tshark without dumpcap).
const settle = time.Second

// Capture is a running loopback capture (dumpcap, or tshark when dumpcap is
// absent) writing a pcapng file.
//
// "Capturing on" is printed before packets actually flow, so the capture
// also listens to a UDP canary port on 127.0.0.1: StartCapture returns only
// once a canary datagram has been captured, and Stop sends one more and
// waits for it before stopping, so that everything sent before Stop is in
// the file. The canary datagrams (UDP, both ports CanaryPort) are therefore
// in the file too; they do not affect TCP stream numbering.
type Capture struct {
	t      testing.TB
	path   string
	ports  []int
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	canary net.PacketConn
	counts bool // the capturer reports "Packets: N"
	mu     sync.Mutex
	stderr strings.Builder
	count  int   // last packet count reported by dumpcap
	err    error // exit status
	once   sync.Once
}

// CanaryPort returns the UDP port of the canary datagrams.
func (c *Capture) CanaryPort() int { return c.canary.LocalAddr().(*net.UDPAddr).Port }

func (c *Capture) sendCanary() {
	c.canary.WriteTo([]byte("iisctl peertest capture canary"), c.canary.LocalAddr())
}

func (c *Capture) packets() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// waitPackets sends canaries until the capturer reports more than n packets.
func (c *Capture) waitPackets(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c.sendCanary()
		for range 10 {
			if c.packets() > n {
				return true
			}
			select {
			case <-c.done:
				return false
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return false
}

// splitCR splits on \r or \n: dumpcap updates its packet count with \r.
func splitCR(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\r' || b == '\n' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// StartCapture captures TCP traffic on the loopback interface for the given
// ports (all TCP when none are given), and returns once the capturer reports
// that it is capturing. The ports are also decoded as DCE/RPC by Decode; add
// ports learned later (for example a dynamic object exporter port) with
// DecodeAs. The test is skipped when no capturer is installed or capturing
// is not permitted. The capture is stopped by t.Cleanup if Stop is not called.
func StartCapture(t testing.TB, ctx context.Context, ports ...int) *Capture {
	t.Helper()
	bin, err := exec.LookPath("dumpcap")
	if err != nil {
		if bin, err = exec.LookPath("tshark"); err != nil {
			Skip(t, "%v", errNoCapturer)
		}
	}
	canary, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("canary socket: %v", err)
	}
	t.Cleanup(func() { canary.Close() })
	c := &Capture{t: t, path: filepath.Join(t.TempDir(), "capture.pcapng"), ports: ports, done: make(chan struct{}),
		canary: canary, counts: filepath.Base(bin) == "dumpcap"}
	filter := "tcp"
	if len(ports) > 0 {
		var fs []string
		for _, p := range ports {
			fs = append(fs, "tcp port "+strconv.Itoa(p))
		}
		filter = strings.Join(fs, " or ")
	}
	filter = "(" + filter + ") or (udp port " + strconv.Itoa(c.CanaryPort()) + ")"
	// Not CommandContext: ctx only bounds the start; Stop ends the process.
	c.cmd = exec.Command(bin, "-i", "lo", "-w", c.path, "-f", filter)
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // tshark runs dumpcap as a child
	pr, pw := io.Pipe()
	c.cmd.Stderr = pw
	c.cmd.Stdout = io.Discard
	if err := c.cmd.Start(); err != nil {
		Skip(t, "cannot start %s: %v", bin, err)
	}
	capturing := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Split(splitCR)
		seen := false
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			if n, ok := strings.CutPrefix(line, "Packets: "); ok {
				if v, err := strconv.Atoi(strings.TrimSpace(n)); err == nil {
					c.count = v
				}
			} else if line != "" {
				c.stderr.WriteString(line + "\n")
			}
			c.mu.Unlock()
			if !seen && strings.Contains(sc.Text(), "Capturing on") {
				seen = true
				close(capturing)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		err := c.cmd.Wait()
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		pw.Close()
		close(c.done)
	}()
	t.Cleanup(func() { c.stop() })

	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case <-capturing:
		if !c.counts {
			time.Sleep(settle)
			return c
		}
		if !c.waitPackets(0, StartTimeout) {
			t.Fatalf("capture: canary datagrams not seen within %v:\n%s", StartTimeout, c.Stderr())
		}
		return c
	case <-c.done:
		msg := c.Stderr()
		if strings.Contains(msg, "ermission") || strings.Contains(msg, "not permitted") {
			Skip(t, "%s cannot capture on lo (run as root or give dumpcap CAP_NET_RAW): %s", filepath.Base(bin), msg)
		}
		t.Fatalf("%s exited before capturing: %v\n%s", filepath.Base(bin), c.err, msg)
	case <-timer.C:
		t.Fatalf("%s did not report capturing within %v:\n%s", filepath.Base(bin), StartTimeout, c.Stderr())
	case <-ctx.Done():
		t.Fatalf("starting capture: %v\n%s", ctx.Err(), c.Stderr())
	}
	return nil
}

// Path returns the pcapng file (complete only after Stop).
func (c *Capture) Path() string { return c.path }

// Ports returns the ports decoded as DCE/RPC.
func (c *Capture) Ports() []int { return c.ports }

// DecodeAs adds ports whose traffic Decode dissects as DCE/RPC.
func (c *Capture) DecodeAs(ports ...int) { c.ports = append(c.ports, ports...) }

// Stderr returns what the capturer wrote to stderr so far.
func (c *Capture) Stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// Stop lets the last packets arrive, stops the capturer so that it flushes
// its file, and returns the pcapng path. It fails the test if the capturer
// does not exit within StopTimeout. Stop may be called more than once.
func (c *Capture) Stop() string {
	c.t.Helper()
	if err := c.stop(); err != nil {
		c.t.Fatalf("stopping capture: %v\n%s", err, c.Stderr())
	}
	return c.path
}

func (c *Capture) stop() error {
	var err error
	c.once.Do(func() {
		select {
		case <-c.done:
		default:
			if c.counts {
				if !c.waitPackets(c.packets(), StopTimeout) {
					err = fmt.Errorf("final canary not captured within %v", StopTimeout)
				}
			} else {
				time.Sleep(settle)
			}
			// Signal our own process group (the capturer and, for tshark,
			// its dumpcap child); SIGINT makes them flush and exit.
			pgid := -c.cmd.Process.Pid
			syscall.Kill(pgid, syscall.SIGINT)
			select {
			case <-c.done:
			case <-time.After(StopTimeout):
				syscall.Kill(pgid, syscall.SIGKILL)
				<-c.done
				err = fmt.Errorf("capturer did not exit within %v after SIGINT; killed", StopTimeout)
			}
		}
	})
	return err
}

// decodeArgs returns -d options that dissect every capture port as DCE/RPC.
func (c *Capture) decodeArgs() []string {
	var a []string
	for _, p := range c.ports {
		a = append(a, "-d", "tcp.port=="+strconv.Itoa(p)+",dcerpc")
	}
	return a
}

// Decode stops the capture if needed and runs `tshark -r FILE` with
// decode-as DCE/RPC for every port and the extra arguments (for example
// "-Y", "dcerpc", "-T", "fields", "-e", "dcerpc.pkt_type", or "-V", or
// "-T", "json"). It returns tshark's standard output and fails the test if
// tshark fails.
func (c *Capture) Decode(t testing.TB, extraArgs ...string) string {
	t.Helper()
	tshark := Tshark(t)
	c.Stop()
	args := append([]string{"-r", c.path}, c.decodeArgs()...)
	args = append(args, extraArgs...)
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	out, stderr, err := run(ctx, tshark, args...)
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// Fields runs Decode with -Y filter -T fields -e f1 -e f2 ... and returns
// one row per packet, the columns split on tabs. Fields with several
// occurrences in one packet (several PDUs) are comma-separated by tshark.
func (c *Capture) Fields(t testing.TB, filter string, fields ...string) [][]string {
	t.Helper()
	args := []string{"-T", "fields"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var rows [][]string
	for line := range strings.Lines(c.Decode(t, args...)) {
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// MalformedFilter selects packets Wireshark considers malformed or flags
// with an expert error.
const MalformedFilter = "_ws.malformed || _ws.expert.severity == error"

// AssertWellFormed fails the test when tshark reports a malformed packet or
// an expert error anywhere in the capture (with DCE/RPC decode-as applied).
func (c *Capture) AssertWellFormed(t testing.TB) {
	t.Helper()
	filter := "(" + MalformedFilter + ") && !(udp.port == " + strconv.Itoa(c.CanaryPort()) + ")"
	if out := strings.TrimSpace(c.Decode(t, "-Y", filter)); out != "" {
		t.Errorf("tshark reports malformed packets or expert errors in %s:\n%s\n\ndetails:\n%s",
			c.path, out, c.Decode(t, "-Y", filter, "-V"))
	}
}
