package winbind

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

// Defaults.
const (
	DefaultMaxConcurrent = 4
	DefaultTimeout       = 10 * time.Second
	// maxReply bounds a helper's reply (lines and bytes): a confused
	// helper cannot make us buffer without limit.
	maxReplyLines = 16
	maxLine       = 4096
)

// Errors. Refusals by the DC wrap ntlm.ErrLogonFailure (RefusedError);
// these two do not: the logon was not judged.
var (
	// ErrUnavailable: the helper could not be run, did not answer in
	// time, or winbindd/the DC could not be reached.
	ErrUnavailable = errors.New("winbind: domain controller unreachable")
	// ErrBusy: every slot toward the DC stayed busy for Timeout.
	ErrBusy = errors.New("winbind: too many logons waiting for the domain controller")
)

// Reason classifies a refusal by the DC.
type Reason string

// Reasons the DC gives (NTSTATUS, [MS-ERREF] 2.3.1).
const (
	WrongPassword     Reason = "wrong password"          // STATUS_WRONG_PASSWORD
	NoSuchUser        Reason = "no such user"            // STATUS_NO_SUCH_USER
	AccountDisabled   Reason = "account disabled"        // STATUS_ACCOUNT_DISABLED
	AccountLockedOut  Reason = "account locked out"      // STATUS_ACCOUNT_LOCKED_OUT
	AccountExpired    Reason = "account expired"         // STATUS_ACCOUNT_EXPIRED
	PasswordExpired   Reason = "password expired"        // STATUS_PASSWORD_EXPIRED
	PasswordMustChg   Reason = "password must change"    // STATUS_PASSWORD_MUST_CHANGE
	LogonHours        Reason = "outside logon hours"     // STATUS_INVALID_LOGON_HOURS
	Workstation       Reason = "workstation not allowed" // STATUS_INVALID_WORKSTATION
	AccountRestricted Reason = "account restriction"     // STATUS_ACCOUNT_RESTRICTION
	LogonFailure      Reason = "logon failure"           // STATUS_LOGON_FAILURE and anything else
)

// reasons maps the message ntlm_auth prints (Samba's text for each
// NTSTATUS) to a Reason; matched by prefix.
var reasons = []struct {
	text   string
	reason Reason
}{
	{"When trying to update a password, this return status indicates that the value provided as the current password is not correct", WrongPassword},
	{"The specified account does not exist", NoSuchUser},
	{"The referenced account is currently disabled", AccountDisabled},
	{"The referenced account is currently locked out", AccountLockedOut},
	{"The user account has been automatically locked", AccountLockedOut},
	{"The user account has expired", AccountExpired},
	{"The user account password has expired", PasswordExpired},
	{"The user password must be changed", PasswordMustChg},
	{"The user account has time restrictions", LogonHours},
	{"The user account is restricted so that it cannot be used to log on from the source workstation", Workstation},
	{"Indicates a referenced user name and authentication information are valid, but some user account restriction", AccountRestricted},
}

// unreachable are messages meaning winbindd or the DC could not be asked.
var unreachable = []string{
	"Reading winbind reply failed",
	"There are currently no logon servers available",
	"winbind client not authenticated",
	"Failed to connect to winbindd",
}

// RefusedError is a logon the DC refused. It wraps ntlm.ErrLogonFailure.
type RefusedError struct {
	Account string // DOMAIN\user as the client claimed it
	Reason  Reason
	Text    string // the DC's message as ntlm_auth printed it
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%v for %q: %s (domain controller: %s)", ntlm.ErrLogonFailure, e.Account, e.Reason, e.Text)
}

// Unwrap makes errors.Is(err, ntlm.ErrLogonFailure) hold.
func (e *RefusedError) Unwrap() error { return ntlm.ErrLogonFailure }

// Config configures a Verifier.
type Config struct {
	// Domain is the NetBIOS name of the domain (CORP); DNSDomain its DNS
	// name (corp.example.com). Logons naming either are sent to the DC.
	Domain, DNSDomain string
	// AdminGroups are the groups whose members are administrators:
	// "DOMAIN\Group", "Group" (in Domain) or a SID "S-1-5-21-...".
	AdminGroups []string
	// NTLMAuth is the ntlm_auth command line; default {"ntlm_auth"}.
	// --helper-protocol=ntlm-server-1 (and the membership option) are
	// appended.
	NTLMAuth []string
	// Wbinfo is the wbinfo command line; default {"wbinfo"}. It resolves
	// group names to SIDs.
	Wbinfo []string
	// MaxConcurrent bounds the logons with the DC at once; default 4.
	MaxConcurrent int
	// Timeout bounds the wait for a slot and for the DC's answer;
	// default 10 s.
	Timeout time.Duration
	// Fallback verifies logons for other domains (the local users file);
	// nil refuses them.
	Fallback ntlm.Verifier
	// Logger; nil: slog.Default().
	Logger *slog.Logger
}

// Verifier is an ntlm.Verifier that passes domain logons to the DC.
type Verifier struct {
	cfg   Config
	log   *slog.Logger
	slots chan *slot // idle slots; a slot is taken for one logon

	mu        sync.Mutex
	groupSIDs string // resolved AdminGroups, comma-separated
	down      bool   // the last attempt found the DC unreachable
	closed    bool
	all       []*slot
}

// New returns a Verifier. Helpers start on first use.
func New(cfg Config) (*Verifier, error) {
	if cfg.Domain == "" {
		return nil, errors.New("winbind: Config.Domain is required")
	}
	if len(cfg.NTLMAuth) == 0 {
		cfg.NTLMAuth = []string{"ntlm_auth"}
	}
	if len(cfg.Wbinfo) == 0 {
		cfg.Wbinfo = []string{"wbinfo"}
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for _, g := range cfg.AdminGroups {
		if strings.ContainsAny(g, ",\n\r") || strings.TrimSpace(g) == "" {
			return nil, fmt.Errorf("winbind: admin group %q: empty or contains a comma or newline", g)
		}
	}
	v := &Verifier{cfg: cfg, log: cfg.Logger, slots: make(chan *slot, cfg.MaxConcurrent)}
	for i := 0; i < cfg.MaxConcurrent; i++ {
		s := &slot{}
		v.all = append(v.all, s)
		v.slots <- s
	}
	return v, nil
}

// Close stops the helpers.
func (v *Verifier) Close() error {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	for _, s := range v.all {
		select {
		case <-v.slots:
		case <-time.After(v.cfg.Timeout):
		}
		s.stop()
	}
	return nil
}

// IsDomain reports whether a logon naming domain goes to the DC.
func (v *Verifier) IsDomain(domain string) bool {
	return strings.EqualFold(domain, v.cfg.Domain) || (v.cfg.DNSDomain != "" && strings.EqualFold(domain, v.cfg.DNSDomain))
}

// Verify implements ntlm.Verifier.
func (v *Verifier) Verify(ctx context.Context, l *ntlm.Logon) (ntlm.Verified, error) {
	if !v.IsDomain(l.Domain) {
		if v.cfg.Fallback == nil {
			return ntlm.Verified{}, fmt.Errorf("%w for %q: not a domain account and no local users", ntlm.ErrLogonFailure, l.Domain+`\`+l.User)
		}
		return v.cfg.Fallback.Verify(ctx, l)
	}
	account := v.cfg.Domain + `\` + l.User
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	var s *slot
	select {
	case s = <-v.slots:
	case <-ctx.Done():
		v.log.Warn("winbind: domain logon refused: no free slot toward the domain controller", "account", account, "max_concurrent", v.cfg.MaxConcurrent)
		return ntlm.Verified{}, fmt.Errorf("%w (%d at once) for %q", ErrBusy, v.cfg.MaxConcurrent, account)
	}
	defer func() { v.slots <- s }()

	sids, err := v.adminSIDs(ctx)
	if err != nil {
		return ntlm.Verified{}, v.unavailable(account, err)
	}
	admin := true
	key, refused, err := v.ask(ctx, s, true, sids, l)
	if err == nil && refused != nil && refused.Reason == LogonFailure && sids != "" {
		// Maybe only the membership check failed: ask without it.
		admin = false
		key, refused, err = v.ask(ctx, s, false, "", l)
	}
	if err != nil {
		return ntlm.Verified{}, v.unavailable(account, err)
	}
	v.up()
	if refused != nil {
		refused.Account = account
		v.log.Warn("winbind: domain logon refused", "account", account, "workstation", l.Workstation,
			"reason", string(refused.Reason), "dc_message", refused.Text)
		return ntlm.Verified{}, refused
	}
	if sids == "" {
		admin = false
	}
	if !admin {
		v.log.Info("winbind: domain logon: not a member of the admin groups", "account", account, "admin_groups", strings.Join(v.cfg.AdminGroups, ", "))
	}
	return ntlm.Verified{SessionBaseKey: key, Peer: rpc.Peer{User: l.User, Domain: v.cfg.Domain, Admin: admin}}, nil
}

// AdminBySIDs reports whether any of sids (a user SID and its group SIDs,
// as a Kerberos ticket's PAC lists them, [MS-PAC] 2.5) is one of the
// admin groups. Group names are resolved through winbind on first use;
// when that fails (the DC unreachable) the answer is false and the error
// says why.
func (v *Verifier) AdminBySIDs(ctx context.Context, sids []string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	admin, err := v.adminSIDs(ctx)
	if err != nil {
		v.unavailable("(Kerberos PAC)", err)
		return false, err
	}
	for _, a := range strings.Split(admin, ",") {
		for _, s := range sids {
			if a != "" && strings.EqualFold(a, s) {
				return true, nil
			}
		}
	}
	return false, nil
}

func (v *Verifier) unavailable(account string, err error) error {
	v.mu.Lock()
	first := !v.down
	v.down = true
	v.mu.Unlock()
	if first {
		v.log.Error("winbind: domain controller unreachable: domain logons fail until it answers", "domain", v.cfg.Domain, "err", err)
	}
	// Not ErrLogonFailure: an unreachable DC is nobody's failed guess
	// (the logon throttle counts only those).
	return fmt.Errorf("%w: logon of %q not verified: %w", ErrUnavailable, account, err)
}

func (v *Verifier) up() {
	v.mu.Lock()
	was := v.down
	v.down = false
	v.mu.Unlock()
	if was {
		v.log.Info("winbind: domain controller reachable again", "domain", v.cfg.Domain)
	}
}

// adminSIDs resolves AdminGroups once (retrying after a failure).
func (v *Verifier) adminSIDs(ctx context.Context) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.groupSIDs != "" || len(v.cfg.AdminGroups) == 0 {
		return v.groupSIDs, nil
	}
	var sids []string
	for _, g := range v.cfg.AdminGroups {
		if strings.HasPrefix(strings.ToUpper(g), "S-1-") {
			sids = append(sids, strings.ToUpper(g))
			continue
		}
		name := g
		if !strings.Contains(name, `\`) {
			name = v.cfg.Domain + `\` + name
		}
		sid, err := v.resolve(ctx, name)
		if err != nil {
			return "", err
		}
		sids = append(sids, sid)
	}
	v.groupSIDs = strings.Join(sids, ",")
	v.log.Info("winbind: admin groups resolved", "groups", strings.Join(v.cfg.AdminGroups, ", "), "sids", v.groupSIDs)
	return v.groupSIDs, nil
}

func (v *Verifier) resolve(ctx context.Context, name string) (string, error) {
	argv := append(append([]string(nil), v.cfg.Wbinfo...), "--name-to-sid="+name)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	f := strings.Fields(string(out))
	if err != nil || len(f) == 0 || !strings.HasPrefix(f[0], "S-1-") {
		return "", fmt.Errorf("resolving admin group %q with wbinfo: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return f[0], nil
}

// ask sends one logon through the slot's admin (membership-checking) or
// plain helper.
func (v *Verifier) ask(ctx context.Context, s *slot, admin bool, sids string, l *ntlm.Logon) ([16]byte, *RefusedError, error) {
	h, err := s.helper(v, admin, sids)
	if err != nil {
		return [16]byte{}, nil, err
	}
	key, refused, err := h.logon(ctx, l)
	if err != nil {
		s.drop(admin)
	}
	return key, refused, err
}

// slot is one concurrent logon's pair of helpers, started lazily.
type slot struct {
	admin, plain *helper
}

func (s *slot) helper(v *Verifier, admin bool, sids string) (*helper, error) {
	p := &s.plain
	args := []string{"--helper-protocol=ntlm-server-1"}
	if admin {
		p = &s.admin
		args = append(args, "--require-membership-of="+sids)
	}
	if *p == nil {
		h, err := startHelper(append(append([]string(nil), v.cfg.NTLMAuth...), args...))
		if err != nil {
			return nil, err
		}
		*p = h
	}
	return *p, nil
}

func (s *slot) drop(admin bool) {
	p := &s.plain
	if admin {
		p = &s.admin
	}
	if *p != nil {
		(*p).stop()
		*p = nil
	}
}

func (s *slot) stop() {
	s.drop(true)
	s.drop(false)
}

// helper is one running ntlm_auth.
type helper struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	outF  *os.File
	out   *bufio.Reader
	errs  *tailBuffer
	waitc chan struct{}
}

func startHelper(argv []string) (*helper, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	h := &helper{cmd: cmd, in: in, outF: pr, out: bufio.NewReaderSize(pr, maxLine), errs: &tailBuffer{}, waitc: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = pw, h.errs
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	pw.Close()
	go func() { cmd.Wait(); close(h.waitc) }()
	return h, nil
}

func (h *helper) stop() {
	h.in.Close()
	select {
	case <-h.waitc:
	case <-time.After(500 * time.Millisecond):
		h.cmd.Process.Kill()
		<-h.waitc
	}
	h.outF.Close()
}

// logon sends one request and reads the reply, within ctx.
func (h *helper) logon(ctx context.Context, l *ntlm.Logon) ([16]byte, *RefusedError, error) {
	var req strings.Builder
	b64 := base64.StdEncoding.EncodeToString
	fmt.Fprintf(&req, "Username:: %s\nNT-Domain:: %s\n", b64([]byte(l.User)), b64([]byte(l.Domain)))
	fmt.Fprintf(&req, "LANMAN-Challenge: %x\nNT-Response: %x\n", l.ServerChallenge[:], l.NtChallengeResponse)
	req.WriteString("Request-User-Session-Key: Yes\n.\n")

	deadline, _ := ctx.Deadline()
	h.outF.SetReadDeadline(deadline)
	if _, err := io.WriteString(h.in, req.String()); err != nil {
		return [16]byte{}, nil, fmt.Errorf("ntlm_auth: %w%s", err, h.errs.suffix())
	}
	reply, err := h.reply()
	if err != nil {
		return [16]byte{}, nil, fmt.Errorf("ntlm_auth: %w%s", err, h.errs.suffix())
	}
	switch reply["Authenticated"] {
	case "Yes":
		k, err := hex.DecodeString(reply["User-Session-Key"])
		if err != nil || len(k) != 16 {
			return [16]byte{}, nil, fmt.Errorf("ntlm_auth: no usable User-Session-Key in its reply")
		}
		return [16]byte(k), nil, nil
	case "No":
		text := reply["Authentication-Error"]
		for _, u := range unreachable {
			if strings.HasPrefix(text, u) {
				return [16]byte{}, nil, fmt.Errorf("ntlm_auth: %s%s", text, h.errs.suffix())
			}
		}
		r := &RefusedError{Reason: LogonFailure, Text: text}
		for _, m := range reasons {
			if strings.HasPrefix(text, m.text) {
				r.Reason = m.reason
				break
			}
		}
		return [16]byte{}, r, nil
	default:
		return [16]byte{}, nil, fmt.Errorf("ntlm_auth: unexpected reply %q", reply)
	}
}

// reply reads "Key: value" lines up to ".", skipping empty replies (the
// extra "." Samba 4.17 prints after a refusal).
func (h *helper) reply() (map[string]string, error) { return readReply(h.out) }

// readReply parses one helper reply from br (at most maxReplyLines lines
// of at most br's buffer size).
func readReply(br *bufio.Reader) (map[string]string, error) {
	m := map[string]string{}
	for n := 0; n < maxReplyLines; n++ {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errors.New("reply line too long")
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil, errors.New("no answer in time")
			}
			return nil, err
		}
		s := strings.TrimRight(string(line), "\r\n")
		if s == "." {
			if len(m) == 0 {
				continue
			}
			return m, nil
		}
		k, val, ok := strings.Cut(s, ": ")
		if !ok {
			if strings.HasPrefix(s, "Error: ") {
				m["Error"] = strings.TrimPrefix(s, "Error: ")
				continue
			}
			return nil, fmt.Errorf("unexpected line %q", s)
		}
		m[k] = val
	}
	return nil, errors.New("reply too long")
}

// tailBuffer keeps the last bytes a helper wrote to stderr.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 512 {
		t.b = t.b[len(t.b)-512:]
	}
	return len(p), nil
}

func (t *tailBuffer) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return ""
	}
	return " (stderr: " + s + ")"
}
