package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
)

// InventoryFlags say where the hosts come from besides the command line:
// --hosts-file (- for stdin), --group, and --credentials-file.
type InventoryFlags struct {
	HostsFile string   // one HOST[:PORT] a line, # comments, [group] sections
	Groups    []string // only the hosts of these sections
	CredsFile string   // per-host credentials (0600)
}

// inventoryHost is one host read from a hosts file, with its sections.
type inventoryHost struct {
	Target Target
	Groups []string
}

// maxInventory bounds a hosts file (lines) read from anywhere.
const maxInventory = 1 << 20

// parseInventory reads a hosts file: one HOST[:PORT] a line (the
// command line's syntax), blank lines, comments from # or ; to the end
// of the line, and [group] lines putting the hosts after them in group.
// A host listed in several sections is one host in all of them.
func parseInventory(r io.Reader, name string) ([]inventoryHost, error) {
	var out []inventoryHost
	index := map[Target]int{}
	group := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		if n > maxInventory {
			return nil, fmt.Errorf("%s: more than %d lines", name, maxInventory)
		}
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") && !strings.Contains(line, ":"):
			// [group]; [::1] and [::1]:135 are IPv6 hosts.
			g := strings.TrimSpace(line[1 : len(line)-1])
			if g == "" || strings.ContainsAny(g, "[] \t") {
				return nil, fmt.Errorf("%s:%d: want [group], got %q", name, n, line)
			}
			group = g
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s:%d: one HOST[:PORT] a line, got %q", name, n, line)
		}
		t, err := ParseTarget(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		i, seen := index[t]
		if !seen {
			i = len(out)
			index[t] = i
			out = append(out, inventoryHost{Target: t})
		}
		if group != "" && !slices.Contains(out[i].Groups, group) {
			out[i].Groups = append(out[i].Groups, group)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// selectGroups keeps the hosts in any of groups (all without groups),
// and fails for a group that names no host: a typo must not shrink a
// rolling restart silently.
func selectGroups(hosts []inventoryHost, groups []string) ([]Target, error) {
	var out []Target
	for _, g := range groups {
		if !slices.ContainsFunc(hosts, func(h inventoryHost) bool { return slices.Contains(h.Groups, g) }) {
			return nil, fmt.Errorf("--group %s: no such group in the hosts file", g)
		}
	}
	for _, h := range hosts {
		if len(groups) == 0 || slices.ContainsFunc(groups, func(g string) bool { return slices.Contains(h.Groups, g) }) {
			out = append(out, h.Target)
		}
	}
	return out, nil
}

// inventory is the hosts a hosts file or stdin gave, with their sections.
type inventory struct {
	targets []Target
	groups  map[Target][]string
}

// inventoryTargets separates args' hosts from "-" and reads the hosts of
// --hosts-file and of standard input (a host argument "-", or
// --hosts-file -), keeping --group's.
func inventoryTargets(inv InventoryFlags, args []string, stdin io.Reader) ([]string, inventory, error) {
	hosts, targets, groups, err := readInventory(inv, args, stdin)
	return hosts, inventory{targets, groups}, err
}

func readInventory(inv InventoryFlags, args []string, stdin io.Reader) ([]string, []Target, map[Target][]string, error) {
	var hosts []string
	fromStdin := inv.HostsFile == "-"
	for _, a := range args {
		if a == "-" {
			fromStdin = true
			continue
		}
		hosts = append(hosts, a)
	}
	var inv2 []inventoryHost
	if inv.HostsFile != "" && inv.HostsFile != "-" {
		f, err := os.Open(inv.HostsFile)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--hosts-file: %w", err)
		}
		defer f.Close()
		if inv2, err = parseInventory(f, inv.HostsFile); err != nil {
			return nil, nil, nil, err
		}
	}
	if fromStdin {
		h, err := parseInventory(stdin, "stdin")
		if err != nil {
			return nil, nil, nil, err
		}
		inv2 = append(inv2, h...)
	}
	if len(inv.Groups) > 0 && inv.HostsFile == "" && !fromStdin {
		return nil, nil, nil, fmt.Errorf("--group needs --hosts-file or hosts on stdin")
	}
	targets, err := selectGroups(inv2, inv.Groups)
	if err != nil {
		return nil, nil, nil, err
	}
	groups := map[Target][]string{}
	for _, h := range inv2 {
		groups[h.Target] = append(groups[h.Target], h.Groups...)
	}
	return hosts, targets, groups, nil
}

// hostCred is one line of a credentials file.
type hostCred struct {
	pattern string // path.Match pattern over the host name, or @group
	cred    Credentials
}

// credsFile maps hosts to credentials, for fleets that span domains.
type credsFile struct {
	entries []hostCred
	groups  map[Target][]string
}

// loadCredsFile reads a credentials file: lines "PATTERN USER PASSWORD",
// PATTERN a shell pattern over the host name (web*.corp.example.com, *)
// or @group of the hosts file, USER as -u takes it (CORP\alice,
// alice@CORP), and PASSWORD the rest of the line, nthash:HEX, or env:VAR
// (the password, or nthash:HEX, from the environment variable VAR). The
// first matching line wins. The file may hold passwords: it must not be
// readable by group or others (0600), as the users file.
func loadCredsFile(p string, getenv func(string) string) (*credsFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("--credentials-file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--credentials-file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("--credentials-file %s: mode %#o lets others read the passwords; chmod 600 it", p, fi.Mode().Perm())
	}
	cf := &credsFile{}
	sc := bufio.NewScanner(io.LimitReader(f, 16<<20))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			return nil, fmt.Errorf("--credentials-file %s:%d: want PATTERN USER PASSWORD", p, n)
		}
		pat := fields[0]
		if _, err := path.Match(pat, "x"); err != nil {
			return nil, fmt.Errorf("--credentials-file %s:%d: pattern %q: %v", p, n, pat, err)
		}
		c := Credentials{}
		c.Domain, c.User = splitUser(fields[1])
		// The password is the rest of the line after the user, spaces kept.
		rest := strings.TrimSpace(line[len(pat):])
		rest = strings.TrimSpace(rest[len(fields[1]):])
		if v, ok := strings.CutPrefix(rest, "env:"); ok {
			// The password from the environment: the file names accounts
			// and variables, no secret.
			if rest = getenv(v); rest == "" {
				return nil, fmt.Errorf("--credentials-file %s:%d: $%s is empty or not set", p, n, v)
			}
		}
		if h, ok := strings.CutPrefix(rest, "nthash:"); ok {
			b, err := parseHashes(h)
			if err != nil {
				return nil, fmt.Errorf("--credentials-file %s:%d: %v", p, n, err)
			}
			c.NTHash = b
		} else {
			c.Password = rest
		}
		cf.entries = append(cf.entries, hostCred{pattern: pat, cred: c})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--credentials-file: %w", err)
	}
	return cf, nil
}

// lookup returns the credentials of t, ok false when no line matches.
func (cf *credsFile) lookup(t Target) (Credentials, bool) {
	if cf == nil {
		return Credentials{}, false
	}
	for _, e := range cf.entries {
		if g, ok := strings.CutPrefix(e.pattern, "@"); ok {
			if slices.Contains(cf.groups[t], g) {
				return e.cred, true
			}
			continue
		}
		if ok, _ := path.Match(strings.ToLower(e.pattern), strings.ToLower(t.Host)); ok {
			return e.cred, true
		}
		if ok, _ := path.Match(strings.ToLower(e.pattern), strings.ToLower(t.String())); ok {
			return e.cred, true
		}
	}
	return Credentials{}, false
}

// covers says whether every target has a line.
func (cf *credsFile) covers(targets []Target) bool {
	if cf == nil {
		return false
	}
	for _, t := range targets {
		if _, ok := cf.lookup(t); !ok {
			return false
		}
	}
	return true
}

// credFor is t's credentials: the credentials file's, else def.
func (o *ActionOptions) credFor(t Target, def Credentials) Credentials {
	if c, ok := o.Creds.lookup(t); ok {
		return c
	}
	return def
}
