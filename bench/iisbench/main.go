package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/iiss"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: iisbench echo-server|all [flags]"))
	}
	switch os.Args[1] {
	case "echo-server":
		echoServer(os.Args[2:])
	case "all":
		all(os.Args[2:])
	case "hold":
		holdCmd(os.Args[2:])
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
}

// echoServer answers every req-byte message with a resp-byte one: the raw
// two-process TCP exchange Status is measured against.
func echoServer(args []string) {
	fs := flag.NewFlagSet("echo-server", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	req := fs.Int("req", 160, "request bytes")
	resp := fs.Int("resp", 440, "response bytes")
	fs.Parse(args)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fail(err)
	}
	fmt.Println("ready", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			fail(err)
		}
		go func() {
			defer c.Close()
			in, out := make([]byte, *req), make([]byte, *resp)
			for {
				if _, err := io.ReadFull(c, in); err != nil {
					return
				}
				if _, err := c.Write(out); err != nil {
					return
				}
			}
		}()
	}
}

// load is one measured workload.
type load struct {
	ops        int
	opsPerSec  float64
	p50, p99   time.Duration
	cpuPerCall time.Duration // of the server process
	errs       int64
}

// op performs one call for worker w.
type op func(ctx context.Context, w int) error

// run executes f from workers goroutines until n operations or d elapse,
// reading the server's CPU time around the measured part.
func run(workers, n int, d time.Duration, pid int, f op) load {
	// Warm every worker's connection first, outside the measurement.
	for w := range workers {
		if err := f(context.Background(), w); err != nil {
			fail(fmt.Errorf("warm-up: %w", err))
		}
	}
	// Calls get a generous timeout of their own; the workload stops
	// starting calls at stopAt, so no call is interrupted.
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	stopAt := time.Now().Add(d)
	var next, errs atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	cpu0 := procCPU(pid)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && time.Now().Before(stopAt) {
				t := time.Now()
				if err := f(ctx, w); err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "iisbench:", err)
					}
					return
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := procCPU(pid) - cpu0
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		fail(fmt.Errorf("no successful operations (%d errors)", errs.Load()))
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration { return all[int(p*float64(len(all)-1))] }
	return load{ops: len(all), opsPerSec: float64(len(all)) / elapsed.Seconds(), p50: pct(0.5), p99: pct(0.99),
		cpuPerCall: cpu / time.Duration(len(all)), errs: errs.Load()}
}

// procCPU is utime+stime of pid (/proc/PID/stat fields 14 and 15).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		fail(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// procIO is the bytes pid read and wrote through syscalls (/proc/PID/io).
func procIO(pid int) (rchar, wchar int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		fail(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "rchar":
			rchar = n
		case "wchar":
			wchar = n
		}
	}
	return
}

// procRSS is pid's resident set in bytes.
func procRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		fail(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// warmOp calls Status on one held reference per worker.
func warmOp(cfg benchDial, workers int) (op, func()) {
	conns := make([]*iiss.Client, workers)
	return func(ctx context.Context, w int) error {
			if conns[w] == nil {
				c, err := cfg.dial(ctx)
				if err != nil {
					return err
				}
				conns[w] = c
			}
			_, err := conns[w].Status(ctx)
			return err
		}, func() {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
		}
}

// echoOp sends req bytes and reads resp bytes on one connection per worker.
func echoOp(addr string, workers, req, resp int) (op, func()) {
	conns := make([]net.Conn, workers)
	in, out := make([][]byte, workers), make([][]byte, workers)
	return func(ctx context.Context, w int) error {
			if conns[w] == nil {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return err
				}
				conns[w], in[w], out[w] = c, make([]byte, resp), make([]byte, req)
			}
			if _, err := conns[w].Write(out[w]); err != nil {
				return err
			}
			_, err := io.ReadFull(conns[w], in[w])
			return err
		}, func() {
			for _, c := range conns {
				if c != nil {
					c.Close()
				}
			}
		}
}

// measureSizes finds the bytes a warm Status moves each way, from the
// server's syscall counters over n calls on one connection.
func measureSizes(cfg benchDial, pid, n int) (req, resp int) {
	ctx := context.Background()
	c, err := cfg.dial(ctx)
	if err != nil {
		fail(err)
	}
	defer c.Close()
	if _, err := c.Status(ctx); err != nil {
		fail(err)
	}
	r0, w0 := procIO(pid)
	for range n {
		if _, err := c.Status(ctx); err != nil {
			fail(err)
		}
	}
	r1, w1 := procIO(pid)
	return int((r1 - r0) / int64(n)), int((w1 - w0) / int64(n))
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDur(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

// all runs every figure and prints them with their ratios.
func all(args []string) {
	fs := flag.NewFlagSet("all", flag.ExitOnError)
	target := fs.String("target", "127.0.0.1:11135", "iissd activator HOST:PORT")
	iissdPID := fs.Int("iissd-pid", 0, "iissd's pid (CPU, RSS, I/O counters)")
	rounds := fs.Int("rounds", 5, "interleaved rounds of each warm workload")
	n := fs.Int("n", 4000, "calls per workload and round at most")
	dur := fs.Duration("duration", 2*time.Second, "time per workload and round at most")
	iisctl := fs.String("iisctl", "", "iisctl binary for the cold and fleet figures")
	coldRuns := fs.Int("cold-runs", 15, "interleaved runs of iisctl status and iisctl version")
	hold := fs.Int("hold", 1000, "authenticated connections to hold for the memory figure (0 skips)")
	fleet := fs.Int("fleet", 0, "endpoints for the fleet figure (127.x addresses; 0 skips)")
	fleetPar := fs.Int("fleet-parallel", 64, "iisctl --parallel for the fleet")
	connsFlag := fs.String("conns", "1,16", "connection counts for the warm figures")
	cpuProfile := fs.String("cpuprofile", "", "with -status-only or coldlib: write this process's CPU profile here")
	statusOnly := fs.Bool("status-only", false, "warm Status load only, no echo (for profiling)")
	coldN := fs.Int("coldlib-n", 300, "sequential cold operations for coldlib")
	only := fs.String("only", "", "comma-separated subset: warm,cold,coldlib,hold,fleet")
	fs.Parse(args)
	want := func(s string) bool { return *only == "" || strings.Contains(","+*only+",", ","+s+",") }
	host, portStr, err := net.SplitHostPort(*target)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil {
		fail(fmt.Errorf("bad -target %q", *target))
	}
	cfg := benchDial{net.JoinHostPort(host, strconv.Itoa(port)), iiss.ClientConfig{Credentials: iiss.Credentials{User: "admin", Password: os.Getenv("IISCTL_PASSWORD")}}}

	if *statusOnly {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				fail(err)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		for _, c := range []int{1, 16} {
			if strings.Contains(","+*connsFlag+",", ","+strconv.Itoa(c)+",") {
				wop, wclose := warmOp(cfg, c)
				w := run(c, *n, *dur, *iissdPID, wop)
				wclose()
				fmt.Printf("Status %2d conn: %.0f/s p50 %v p99 %v cpu/call %v errs %d\n", c, w.opsPerSec, w.p50, w.p99, w.cpuPerCall, w.errs)
			}
		}
		return
	}
	if want("warm") {
		req, resp := measureSizes(cfg, *iissdPID, 200)
		fmt.Printf("warm Status at privacy moves %d B request, %d B response (iissd's syscall byte counters); the echo uses the same sizes\n", req, resp)
		echo := exec.Command("/proc/self/exe", "echo-server", "-addr", "127.0.0.1:0", "-req", strconv.Itoa(req), "-resp", strconv.Itoa(resp))
		echo.Stderr = os.Stderr
		stdout, _ := echo.StdoutPipe()
		if err := echo.Start(); err != nil {
			fail(err)
		}
		var ready, addr string
		if _, err := fmt.Fscanln(stdout, &ready, &addr); err != nil || ready != "ready" {
			fail(fmt.Errorf("echo server: %q %v", ready, err))
		}
		var conns []int
		for _, f := range strings.Split(*connsFlag, ",") {
			c, err := strconv.Atoi(f)
			if err != nil || c < 1 {
				fail(fmt.Errorf("bad -conns %q", *connsFlag))
			}
			conns = append(conns, c)
		}
		warmFigures(cfg, addr, echo.Process.Pid, *iissdPID, req, resp, conns, *rounds, *n, *dur)
		echo.Process.Kill()
		echo.Wait()
	}
	if want("cold") && *iisctl != "" {
		coldFigures(*iisctl, *target, *coldRuns)
	}
	if want("coldlib") {
		coldLib(cfg, *iissdPID, *coldN, *cpuProfile)
	}
	if want("hold") && *hold > 0 {
		holdFigure(cfg, *iissdPID, *hold)
	}
	if want("fleet") && *fleet > 0 && *iisctl != "" {
		fleetFigure(*iisctl, port, *fleet, *fleetPar)
	}
}

func warmFigures(cfg benchDial, echoAddr string, echoPID, iissdPID, req, resp int, conns []int, rounds, n int, d time.Duration) {
	for _, c := range conns {
		var thr, p50r, cpur []float64
		var wl, el []load
		for r := range rounds {
			eop, eclose := echoOp(echoAddr, c, req, resp)
			wop, wclose := warmOp(cfg, c)
			var e, w load
			if r%2 == 0 {
				e = run(c, n, d, echoPID, eop)
				w = run(c, n, d, iissdPID, wop)
			} else {
				w = run(c, n, d, iissdPID, wop)
				e = run(c, n, d, echoPID, eop)
			}
			eclose()
			wclose()
			fmt.Printf("  round %d, %2d conn: echo %7.0f/s p50 %-8v p99 %-8v cpu/x %-8v | Status %7.0f/s p50 %-8v p99 %-8v cpu/call %-8v errs %d\n",
				r+1, c, e.opsPerSec, e.p50.Round(time.Microsecond), e.p99.Round(time.Microsecond), e.cpuPerCall.Round(time.Microsecond),
				w.opsPerSec, w.p50.Round(time.Microsecond), w.p99.Round(time.Microsecond), w.cpuPerCall.Round(time.Microsecond), w.errs)
			thr = append(thr, w.opsPerSec/e.opsPerSec)
			p50r = append(p50r, float64(w.p50)/float64(e.p50))
			if e.cpuPerCall > 0 {
				cpur = append(cpur, float64(w.cpuPerCall)/float64(e.cpuPerCall))
			}
			wl, el = append(wl, w), append(el, e)
		}
		var wp99, ep99, wcpu, ecpu, wp50, ep50 []time.Duration
		var wthr, ethr []float64
		for i := range wl {
			wp99, ep99 = append(wp99, wl[i].p99), append(ep99, el[i].p99)
			wp50, ep50 = append(wp50, wl[i].p50), append(ep50, el[i].p50)
			wcpu, ecpu = append(wcpu, wl[i].cpuPerCall), append(ecpu, el[i].cpuPerCall)
			wthr, ethr = append(wthr, wl[i].opsPerSec), append(ethr, el[i].opsPerSec)
		}
		fmt.Printf("RESULT warm %2d conn: Status %.0f/s vs echo %.0f/s: throughput ratio %.2fx (median of %d rounds); p50 %v vs %v (ratio %.2fx); p99 %v vs %v; server CPU/call %v vs echo %v (ratio %.2fx)\n",
			c, median(wthr), median(ethr), median(thr), rounds, medianDur(wp50).Round(time.Microsecond), medianDur(ep50).Round(time.Microsecond), median(p50r),
			medianDur(wp99).Round(time.Microsecond), medianDur(ep99).Round(time.Microsecond),
			medianDur(wcpu).Round(time.Microsecond), medianDur(ecpu).Round(time.Microsecond), median(cpur))
	}
}

// coldLib runs n cold operations (activate, Status, release) one after
// another in this process: latency, this process's CPU and iissd's CPU
// per operation, without process start.
func coldLib(cfg benchDial, pid, n int, profile string) {
	ctx := context.Background()
	op := func() {
		c, err := cfg.dial(ctx)
		if err != nil {
			fail(err)
		}
		if _, err := c.Status(ctx); err != nil {
			fail(err)
		}
		if err := c.Close(); err != nil {
			fail(err)
		}
	}
	for range 20 {
		op()
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var lat []time.Duration
	self0, srv0 := selfCPU(), procCPU(pid)
	for range n {
		t := time.Now()
		op()
		lat = append(lat, time.Since(t))
	}
	self, srv := selfCPU()-self0, procCPU(pid)-srv0
	fmt.Printf("RESULT cold in-process: activate+Status+release %v median, %v p99; client CPU %v, iissd CPU %v per operation (%d sequential)\n",
		medianDur(lat).Round(time.Microsecond), pct(lat, 0.99).Round(time.Microsecond),
		(self / time.Duration(n)).Round(time.Microsecond), (srv / time.Duration(n)).Round(time.Microsecond), n)
}

func pct(v []time.Duration, p float64) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))]
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// coldFigures times whole iisctl processes: status against version, interleaved.
func coldFigures(iisctl, target string, runs int) {
	var st, ver, stCPU, verCPU []time.Duration
	for range runs {
		t, c := timeProc(iisctl, "version")
		ver, verCPU = append(ver, t), append(verCPU, c)
		t, c = timeProc(iisctl, "status", "-u", "admin", target)
		st, stCPU = append(st, t), append(stCPU, c)
	}
	s, v := medianDur(st), medianDur(ver)
	fmt.Printf("RESULT cold: iisctl status %v, iisctl version %v (medians of %d interleaved runs): beyond process start %v; CPU %v vs %v\n",
		s.Round(10*time.Microsecond), v.Round(10*time.Microsecond), runs, (s - v).Round(10*time.Microsecond),
		medianDur(stCPU).Round(10*time.Microsecond), medianDur(verCPU).Round(10*time.Microsecond))
}

func timeProc(name string, args ...string) (wall, cpu time.Duration) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	t := time.Now()
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("%s %v: %w", name, args, err))
	}
	wall = time.Since(t)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// holdFigure runs a separate holder process (so only iissd's RSS is
// measured) that opens n authenticated object references and waits.
func holdFigure(cfg benchDial, pid, n int) {
	rss0 := procRSS(pid)
	cmd := exec.Command("/proc/self/exe", "hold", "-target", cfg.addr, "-n", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	var line string
	if _, err := fmt.Fscanln(stdout, &line); err != nil || line != "held" {
		fail(fmt.Errorf("holder: %q %v", line, err))
	}
	time.Sleep(500 * time.Millisecond)
	rss1 := procRSS(pid)
	stdin.Close()
	cmd.Wait()
	fmt.Printf("RESULT hold: %d idle authenticated connections (each an activated, privacy-bound object reference): iissd RSS %d KiB -> %d KiB, %.1f KiB per connection\n",
		n, rss0>>10, rss1>>10, float64(rss1-rss0)/float64(n)/1024)
}

// holdCmd opens n references, says "held", and waits for stdin to close.
func holdCmd(args []string) {
	fs := flag.NewFlagSet("hold", flag.ExitOnError)
	target := fs.String("target", "", "activator")
	n := fs.Int("n", 1000, "references")
	par := fs.Int("c", 8, "dials at once")
	fs.Parse(args)
	host, portStr, _ := net.SplitHostPort(*target)
	port, _ := strconv.Atoi(portStr)
	cfg := benchDial{net.JoinHostPort(host, strconv.Itoa(port)), iiss.ClientConfig{Credentials: iiss.Credentials{User: "admin", Password: os.Getenv("IISCTL_PASSWORD")}}}
	conns := make([]*iiss.Client, *n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var ferr atomic.Value
	for range *par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				c, err := cfg.dial(context.Background())
				if err != nil {
					ferr.Store(err)
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if e := ferr.Load(); e != nil {
		fail(fmt.Errorf("hold: %w", e.(error)))
	}
	fmt.Println("held")
	io.Copy(io.Discard, os.Stdin)
}

// fleetFigure runs one iisctl status over n endpoints 127.1.x.y:port (the
// caller's namespace routes 127/8 to loopback where iissd listens on
// 0.0.0.0), recording wall time and the client's peak RSS.
func fleetFigure(iisctl string, port, n, par int) {
	args := []string{"status", "-u", "admin", "--parallel", strconv.Itoa(par)}
	for i := range n {
		args = append(args, fmt.Sprintf("127.1.%d.%d:%d", i/250, i%250+1, port))
	}
	cmd := exec.Command(iisctl, args...)
	var lines countWriter
	cmd.Stdout, cmd.Stderr = &lines, os.Stderr
	t := time.Now()
	err := cmd.Run()
	wall := time.Since(t)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var maxrss int64
	if ru != nil {
		maxrss = ru.Maxrss
	}
	fmt.Printf("RESULT fleet: iisctl status of %d endpoints (--parallel %d): %v wall, %v CPU, peak RSS %d MiB, %d output lines, exit %v\n",
		n, par, wall.Round(time.Millisecond), (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Round(time.Millisecond),
		maxrss>>10, lines.n, err)
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			w.n++
		}
	}
	return len(p), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "iisbench:", err)
	os.Exit(2)
}

// benchDial is where and how the workloads dial.
type benchDial struct {
	addr string
	cfg  iiss.ClientConfig
}

func (d benchDial) dial(ctx context.Context) (*iiss.Client, error) {
	return iiss.Dial(ctx, d.addr, d.cfg)
}
