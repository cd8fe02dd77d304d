package ntlm

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Account is what an acceptor needs to verify a user: the NT hash
// (MD4 of the UTF-16LE password, see NTHash) and the admin bit that
// Peer reports.
type Account struct {
	NTHash [16]byte
	Admin  bool
}

// CredentialSource finds accounts for the acceptor. Lookup must be
// case-insensitive on user and domain; domain is as the client sent it
// and may be empty.
type CredentialSource interface {
	Lookup(user, domain string) (Account, bool)
}

// CredentialFunc adapts a function to CredentialSource.
type CredentialFunc func(user, domain string) (Account, bool)

// Lookup calls f.
func (f CredentialFunc) Lookup(user, domain string) (Account, bool) { return f(user, domain) }

// UserEntry is one line of a users file.
type UserEntry struct {
	User   string
	Domain string // empty: matches any domain
	NTHash [16]byte
	Admin  bool
	// Kerberos marks a principal entry ("alice@CORP.EXAMPLE admin"): it
	// authorizes a Kerberos principal, Domain holding the realm, and has
	// no NT hash, so NTLM lookups never match it.
	Kerberos bool
}

// UsersFile is a CredentialSource backed by a text file.
//
// Format: UTF-8 text, one account per line,
//
//	user:domain:nthashhex:role
//
// where domain may be empty (the entry then matches any domain the
// client names), nthashhex is the 32-hex-digit NT hash (MD4 of the
// UTF-16LE password; see NTHash), and role is "admin" or "user". Blank
// lines and lines starting with '#' are ignored; surrounding spaces are
// trimmed. User and domain may not contain ':' or control characters.
//
// A line "principal@REALM role" (no colons) authorizes a Kerberos
// principal; it carries no secret and NTLM never matches it (Principal).
// A user+domain pair may appear once. Lookup prefers an entry whose
// domain matches over an any-domain entry.
//
// The NT hash is password-equivalent for NTLM: anyone who reads the
// file can authenticate as its users. LoadUsersFile therefore refuses
// a file readable or writable by group or others, and SaveUsersFile
// writes mode 0600.
type UsersFile struct {
	mu      sync.RWMutex
	entries []UserEntry
}

// LoadUsersFile reads a users file, refusing it (ErrInsecureFile) when
// its mode grants any access to group or others (mode & 0o077 != 0) or
// it is not a regular file.
func LoadUsersFile(path string) (*UsersFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ntlm: users file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ntlm: users file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInsecureFile, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; it holds password-equivalent hashes, run chmod 600", ErrInsecureFile, path, perm)
	}
	uf, err := ParseUsers(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return uf, nil
}

// ParseUsers parses the users file format (see UsersFile).
func ParseUsers(r io.Reader) (*UsersFile, error) {
	uf := &UsersFile{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseUserLine(line)
		if err == nil {
			err = uf.add(e)
		}
		if err != nil {
			return nil, fmt.Errorf("ntlm: users file line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ntlm: users file: %w", err)
	}
	return uf, nil
}

func parseUserLine(line string) (UserEntry, error) {
	if !strings.Contains(line, ":") {
		return parsePrincipalLine(line)
	}
	parts := strings.Split(line, ":")
	if len(parts) != 4 {
		return UserEntry{}, fmt.Errorf("want user:domain:nthash:role, got %d fields", len(parts))
	}
	e := UserEntry{User: parts[0], Domain: parts[1]}
	h, err := hex.DecodeString(parts[2])
	if err != nil || len(h) != 16 {
		return UserEntry{}, fmt.Errorf("NT hash must be 32 hex digits")
	}
	e.NTHash = [16]byte(h)
	switch parts[3] {
	case "admin":
		e.Admin = true
	case "user":
	default:
		return UserEntry{}, fmt.Errorf("role %q, want admin or user", parts[3])
	}
	return e, validName(e.User, e.Domain)
}

// parsePrincipalLine reads "principal@REALM admin|user".
func parsePrincipalLine(line string) (UserEntry, error) {
	f := strings.Fields(line)
	if len(f) != 2 {
		return UserEntry{}, fmt.Errorf("want user:domain:nthash:role or principal@REALM role")
	}
	i := strings.LastIndex(f[0], "@")
	if i <= 0 || i == len(f[0])-1 {
		return UserEntry{}, fmt.Errorf("principal %q: want name@REALM (a Kerberos principal)", f[0])
	}
	e := UserEntry{User: f[0][:i], Domain: f[0][i+1:], Kerberos: true}
	switch f[1] {
	case "admin":
		e.Admin = true
	case "user":
	default:
		return UserEntry{}, fmt.Errorf("role %q, want admin or user", f[1])
	}
	return e, validName(e.User, e.Domain)
}

// Principal reports the role of Kerberos principal name@realm from a
// principal entry (case-insensitive).
func (u *UsersFile) Principal(name, realm string) (admin, ok bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, e := range u.entries {
		if e.Kerberos && strings.EqualFold(e.User, name) && strings.EqualFold(e.Domain, realm) {
			return e.Admin, true
		}
	}
	return false, false
}

// validName checks the user and domain syntax of the file format.
func validName(user, domain string) error {
	if strings.TrimSpace(user) == "" || strings.HasPrefix(user, "#") {
		return fmt.Errorf("invalid user name %q", user)
	}
	for _, s := range []string{user, domain} {
		if s != strings.TrimSpace(s) || strings.ContainsFunc(s, func(r rune) bool { return r == ':' || r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("invalid name %q", s)
		}
	}
	return nil
}

// index returns the position of the exact (case-insensitive) user and
// domain pair, or -1. Callers hold mu.
func (u *UsersFile) index(user, domain string) int {
	for i, e := range u.entries {
		if !e.Kerberos && strings.EqualFold(e.User, user) && strings.EqualFold(e.Domain, domain) {
			return i
		}
	}
	return -1
}

func (u *UsersFile) add(e UserEntry) error {
	if e.Kerberos {
		if _, dup := u.principalIndex(e.User, e.Domain); dup {
			return fmt.Errorf("%w: %s@%s", ErrUserExists, e.User, e.Domain)
		}
		u.entries = append(u.entries, e)
		return nil
	}
	if u.index(e.User, e.Domain) >= 0 {
		return fmt.Errorf("%w: %s", ErrUserExists, entryName(e.User, e.Domain))
	}
	u.entries = append(u.entries, e)
	return nil
}

func (u *UsersFile) principalIndex(name, realm string) (int, bool) {
	for i, e := range u.entries {
		if e.Kerberos && strings.EqualFold(e.User, name) && strings.EqualFold(e.Domain, realm) {
			return i, true
		}
	}
	return -1, false
}

func entryName(user, domain string) string {
	if domain == "" {
		return user + " (any domain)"
	}
	return domain + `\` + user
}

// Lookup implements CredentialSource: an entry for exactly this domain
// first, else an any-domain entry; case-insensitive.
func (u *UsersFile) Lookup(user, domain string) (Account, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	i := u.index(user, domain)
	if i < 0 {
		i = u.index(user, "")
	}
	if i < 0 {
		return Account{}, false
	}
	e := u.entries[i]
	return Account{NTHash: e.NTHash, Admin: e.Admin}, true
}

// AddUser adds an account; ErrUserExists if user+domain is present.
func (u *UsersFile) AddUser(user, domain string, ntHash [16]byte, admin bool) error {
	if err := validName(user, domain); err != nil {
		return fmt.Errorf("ntlm: %w", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.add(UserEntry{User: user, Domain: domain, NTHash: ntHash, Admin: admin})
}

// RemoveUser deletes the exact user+domain entry; ErrNoSuchUser if absent.
func (u *UsersFile) RemoveUser(user, domain string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	i := u.index(user, domain)
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrNoSuchUser, entryName(user, domain))
	}
	u.entries = append(u.entries[:i], u.entries[i+1:]...)
	return nil
}

// List returns a copy of the entries in file order.
func (u *UsersFile) List() []UserEntry {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return append([]UserEntry(nil), u.entries...)
}

// Marshal renders the file format.
func (u *UsersFile) Marshal() []byte {
	u.mu.RLock()
	defer u.mu.RUnlock()
	var b bytes.Buffer
	b.WriteString("# iisctl NTLM users: user:domain:nthash:admin|user\n")
	b.WriteString("# PASSWORD-EQUIVALENT: keep mode 0600.\n")
	for _, e := range u.entries {
		role := "user"
		if e.Admin {
			role = "admin"
		}
		if e.Kerberos {
			fmt.Fprintf(&b, "%s@%s %s\n", e.User, e.Domain, role)
			continue
		}
		fmt.Fprintf(&b, "%s:%s:%x:%s\n", e.User, e.Domain, e.NTHash[:], role)
	}
	return b.Bytes()
}

// SaveUsersFile writes u to path atomically: a 0600 temporary file in
// the same directory, synced, then renamed over path.
func SaveUsersFile(path string, u *UsersFile) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("ntlm: save users file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("ntlm: save users file: %w", err)
	}
	if _, err = tmp.Write(u.Marshal()); err != nil {
		return fmt.Errorf("ntlm: save users file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("ntlm: save users file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("ntlm: save users file: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("ntlm: save users file: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: persist the rename
		d.Close()
	}
	return nil
}
