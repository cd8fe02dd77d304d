package supervisor

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Containment: services die with iissd, and what a crash leaves behind is
// found and killed at the next start.
//
//   - Each service runs in its own process group with PR_SET_PDEATHSIG
//     SIGKILL: when iissd dies (even by kill -9) the kernel kills the
//     service's main process.
//   - With Config.StateDir set, the groups of running services are kept in
//     StateDir/supervisor.pids (name, pid = pgid, the leader's start time).
//     New reads it and SIGKILLs every group still alive (the main
//     process's own children survive PDEATHSIG), then empties it, so that
//     an orphan can never hold a service's port or answer its start check.
//     A group is killed only if its leader is alive with the recorded start
//     time, or the leader is gone and members remain (a pgid is not reused
//     while its group has members); a reused pid is never signalled.
//     Pending SIGKILL escalations therefore survive a crash too: whatever
//     they would have killed is killed at the next start.
//
// The start check is tied to the service's own processes: a StartCheck
// address counts only when the listening socket belongs to a process of
// the service's group (/proc/PID/net/tcp inode against /proc/*/fd), or,
// where /proc cannot tell, when the service is still alive startCheckGrace
// after the address accepted.

const pidFileName = "supervisor.pids"

// startCheckGrace is how long a service must outlive a successful start
// check that /proc could not attribute.
const startCheckGrace = 500 * time.Millisecond

// leftoverWait bounds the wait for killed leftovers to disappear.
const leftoverWait = 5 * time.Second

type pidEntry struct {
	name  string
	pgid  int
	start uint64 // the leader's start time, /proc/PID/stat field 22
}

// procStat returns the process group and start time of pid; a zombie
// (exited, not yet reaped) is reported as gone.
func procStat(pid int) (pgrp int, start uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, 0, errors.New("malformed stat")
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, 0, os.ErrNotExist
	}
	pgrp, err1 := strconv.Atoi(f[2])                // field 5
	start, err2 := strconv.ParseUint(f[19], 10, 64) // field 22
	return pgrp, start, errors.Join(err1, err2)
}

// groupMembers lists the processes whose process group is pgid.
func groupMembers(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, _, err := procStat(pid); err == nil && g == pgid {
			out = append(out, pid)
		}
	}
	return out
}

func (m *Manager) pidFile() string { return filepath.Join(m.stateDir, pidFileName) }

// savePids rewrites the pid file from the running services; mu held.
func (m *Manager) savePids() {
	if m.stateDir == "" {
		return
	}
	var b strings.Builder
	for _, s := range m.order {
		if r := s.run; r != nil {
			fmt.Fprintf(&b, "%s %d %d\n", s.cfg.Name, r.pid, r.startTime)
		}
	}
	tmp := m.pidFile() + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err == nil {
		err = os.Rename(tmp, m.pidFile())
		if err != nil {
			os.Remove(tmp)
		}
	}
}

func readPids(path string) ([]pidEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []pidEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			continue
		}
		pid, err1 := strconv.Atoi(fs[1])
		start, err2 := strconv.ParseUint(fs[2], 10, 64)
		if err1 != nil || err2 != nil || pid <= 1 {
			continue
		}
		out = append(out, pidEntry{name: fs[0], pgid: pid, start: start})
	}
	return out, sc.Err()
}

// reapLeftovers kills the process groups a previous iissd left running,
// as recorded in the pid file, and reports how many processes it killed.
func (m *Manager) reapLeftovers() int {
	entries, err := readPids(m.pidFile())
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			m.log.Warn("reading the supervisor's pid file", "path", m.pidFile(), "err", err)
		}
		return 0
	}
	killed := 0
	for _, e := range entries {
		_, start, err := procStat(e.pgid)
		members := groupMembers(e.pgid)
		leaderOurs := err == nil && start == e.start
		if len(members) == 0 || (err == nil && !leaderOurs) {
			continue // gone, or the pid now belongs to someone else
		}
		m.log.Warn("killing what a previous iissd left of a service", "service", e.name, "pgid", e.pgid,
			"processes", len(members))
		_ = m.signal(-e.pgid, syscall.SIGKILL)
		killed += len(members)
		deadline := time.Now().Add(leftoverWait)
		for len(groupMembers(e.pgid)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := len(groupMembers(e.pgid)); n > 0 {
			m.log.Error("leftover processes of a service survived SIGKILL", "service", e.name, "pgid", e.pgid, "processes", n)
		}
	}
	_ = os.WriteFile(m.pidFile(), nil, 0o600)
	return killed
}

// listenInodes returns the inodes of TCP sockets listening on addr, as
// seen in the network namespace of pid.
func listenInodes(pid int, addr string) (map[string]bool, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := net.LookupPort("tcp", portStr)
	if err != nil {
		return nil, err
	}
	var want net.IP
	if host != "" {
		if ips, err := net.LookupIP(host); err == nil && len(ips) > 0 {
			want = ips[0]
		}
	}
	out := map[string]bool{}
	read := 0
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		read++
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // 0A: TCP_LISTEN
				continue
			}
			ipHex, pHex, ok := strings.Cut(fs[1], ":")
			p, err := strconv.ParseUint(pHex, 16, 16)
			if !ok || err != nil || int(p) != port {
				continue
			}
			if ip := procIP(ipHex); want != nil && !ip.IsUnspecified() && !ip.Equal(want) {
				continue
			}
			out[fs[9]] = true
		}
	}
	if read == 0 {
		return nil, fmt.Errorf("no /proc/%d/net/tcp", pid)
	}
	return out, nil
}

// procIP decodes an address of /proc/net/tcp{,6}: 32-bit words in host
// (little-endian) order.
func procIP(h string) net.IP {
	b, err := hex.DecodeString(h)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil
	}
	for i := 0; i+4 <= len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b)
}

// ownsListener reports whether a process of group pgid holds a socket
// listening on addr; the error says /proc could not tell.
func ownsListener(pgid int, addr string) (bool, []int, error) {
	inodes, err := listenInodes(pgid, addr)
	if err != nil {
		return false, nil, err
	}
	if len(inodes) == 0 {
		return false, nil, nil
	}
	members := groupMembers(pgid)
	if len(members) == 0 {
		return false, nil, errors.New("no process in the group")
	}
	for _, pid := range members {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			return false, nil, err
		}
		for _, fd := range fds {
			l, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err == nil && strings.HasPrefix(l, "socket:[") && inodes[strings.TrimSuffix(l[8:], "]")] {
				return true, nil, nil
			}
		}
	}
	return false, holders(inodes), nil
}

// holders finds the processes holding one of inodes (for the log).
func holders(inodes map[string]bool) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name(), "fd")
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && strings.HasPrefix(l, "socket:[") &&
				inodes[strings.TrimSuffix(l[8:], "]")] {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
