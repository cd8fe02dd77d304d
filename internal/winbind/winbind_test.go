package winbind_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/sambadc"
	"github.com/iisctl/iisctl/internal/winbind"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sambadc.StopShared()
	os.Exit(code)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// handshake runs a real NTLM client against an acceptor that uses v, and
// checks that both ends hold the same session (a sealed message each way).
func handshake(t *testing.T, v ntlm.Verifier, domain, user, password string) (rpc.Peer, error) {
	t.Helper()
	ctx := context.Background()
	c := ntlm.NewClient(ntlm.ClientConfig{User: user, Domain: domain, Password: password, Workstation: "WS1"})
	s, err := ntlm.NewServer(ntlm.ServerConfig{Verifier: v, NetBIOSDomain: sambadc.Domain,
		NetBIOSComputer: "IISSD", DNSComputer: sambadc.ServiceHost, RequireMIC: true})
	if err != nil {
		t.Fatal(err)
	}
	neg, _, err := c.Step(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	chal, _, err := s.Step(ctx, neg)
	if err != nil {
		t.Fatal(err)
	}
	auth, _, err := c.Step(ctx, chal)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Step(ctx, auth); err != nil {
		return rpc.Peer{}, err
	}
	msg := []byte("sealed by the client")
	data := append([]byte(nil), msg...)
	sig, err := c.Seal(msg, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Unseal(msg, data, sig); err != nil || !bytes.Equal(data, []byte("sealed by the client")) {
		t.Fatalf("the session keys differ: unseal %v", err)
	}
	return s.Peer(), nil
}

func newVerifier(t *testing.T, dc *sambadc.DC, log *syncBuffer, fallback ntlm.Verifier) *winbind.Verifier {
	t.Helper()
	if log == nil {
		log = &syncBuffer{}
	}
	v, err := winbind.New(winbind.Config{
		Domain: sambadc.Domain, DNSDomain: sambadc.DNSName,
		AdminGroups: []string{sambadc.Domain + `\` + sambadc.Group, "Domain Admins"},
		NTLMAuth:    append(dc.ExecPrefix(), "ntlm_auth", "--configfile="+dc.SmbConf),
		Wbinfo:      append(dc.ExecPrefix(), "wbinfo"),
		Fallback:    fallback,
		Logger:      slog.New(slog.NewTextHandler(log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// TestDomainLogons: NTLM logons validated by the Samba DC, with sealing
// keyed by the DC's session key, authorization by group membership
// resolved at each logon, and the DC's refusals with their reasons.
func TestDomainLogons(t *testing.T) {
	dc := sambadc.Shared(t)
	log := &syncBuffer{}
	local := &ntlm.UsersFile{}
	if err := local.AddUser("localadmin", "", ntlm.NTHash("L0cal!pass"), true); err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, dc, log, ntlm.LocalVerifier(local))

	for _, tc := range []struct {
		domain, user, pass string
		admin              bool
	}{
		{sambadc.Domain, sambadc.Operator, sambadc.OperatorPass, true}, // member of IIS Operators
		{sambadc.DNSName, sambadc.Admin, sambadc.AdminPassword, true},  // Domain Admins, DNS domain name
		{"iistest", sambadc.Outsider, sambadc.OutsiderPass, false},     // authenticated, not an administrator
		{"", "localadmin", "L0cal!pass", true},                         // the local users file
	} {
		p, err := handshake(t, v, tc.domain, tc.user, tc.pass)
		if err != nil {
			t.Errorf("%s\\%s: %v", tc.domain, tc.user, err)
			continue
		}
		if p.User != tc.user || p.Admin != tc.admin {
			t.Errorf("%s\\%s: peer %+v, want admin=%v", tc.domain, tc.user, p, tc.admin)
		}
	}

	for _, tc := range []struct {
		domain, user, pass string
		reason             winbind.Reason
	}{
		{sambadc.Domain, sambadc.Operator, "wrong", winbind.WrongPassword},
		{sambadc.Domain, sambadc.Disabled, sambadc.DisabledPass, winbind.AccountDisabled},
		{sambadc.Domain, "nobody", "x", winbind.NoSuchUser},
		{sambadc.Domain, sambadc.MustChange, sambadc.RestrictedPass, winbind.PasswordMustChg},
		{sambadc.Domain, sambadc.Expired, sambadc.RestrictedPass, winbind.AccountExpired},
		{sambadc.Domain, sambadc.NoHours, sambadc.RestrictedPass, winbind.LogonHours},
		{sambadc.Domain, sambadc.Locked, sambadc.RestrictedPass, winbind.AccountLockedOut},
	} {
		_, err := handshake(t, v, tc.domain, tc.user, tc.pass)
		var re *winbind.RefusedError
		if !errors.As(err, &re) || re.Reason != tc.reason || !errors.Is(err, ntlm.ErrLogonFailure) {
			t.Errorf("%s\\%s: %v, want refusal %q", tc.domain, tc.user, err, tc.reason)
		}
	}
	// A domain account is never checked against the local users file,
	// even when the local file has the same name for any domain.
	if err := local.AddUser(sambadc.Outsider, "", ntlm.NTHash("L0cal!pass"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, v, sambadc.Domain, sambadc.Outsider, "L0cal!pass"); err == nil {
		t.Error("a domain logon was validated against a local hash")
	}
	if s := log.String(); !strings.Contains(s, "reason=\"account disabled\"") || !strings.Contains(s, `account=IISTEST\carol`) {
		t.Errorf("refusals are not logged with their reason:\n%s", s)
	}

	// Membership is resolved at logon time: removed from the group, the
	// user is no administrator on the very next logon.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if p, err := handshake(t, v, sambadc.Domain, sambadc.Leaver, sambadc.LeaverPass); err != nil || !p.Admin {
		t.Fatalf("leaver before removal: %+v %v", p, err)
	}
	if err := dc.RemoveMember(ctx, sambadc.Group, sambadc.Leaver); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.AddMember(context.Background(), sambadc.Group, sambadc.Leaver) })
	if p, err := handshake(t, v, sambadc.Domain, sambadc.Leaver, sambadc.LeaverPass); err != nil || p.Admin {
		t.Errorf("leaver after removal: %+v %v (want authenticated, not admin)", p, err)
	}
}

// TestAdminBySIDs: the admin groups, resolved through winbind, decide on
// SIDs as a Kerberos PAC lists them.
func TestAdminBySIDs(t *testing.T) {
	dc := sambadc.Shared(t)
	v := newVerifier(t, dc, nil, nil)
	ctx := context.Background()
	group, err := dc.SID(ctx, sambadc.Group)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sids []string
		want bool
	}{
		{[]string{dc.DomainSID + "-1103", dc.DomainSID + "-513", group}, true},
		{[]string{dc.DomainSID + "-500", dc.DomainSID + "-512"}, true}, // Domain Admins
		{[]string{dc.DomainSID + "-1104", dc.DomainSID + "-513"}, false},
		{nil, false},
	} {
		if got, err := v.AdminBySIDs(ctx, c.sids); err != nil || got != c.want {
			t.Errorf("AdminBySIDs(%v) = %v, %v; want %v", c.sids, got, err, c.want)
		}
	}
}

// TestConcurrentLogons: several logons at once through a small pool.
func TestConcurrentLogons(t *testing.T) {
	dc := sambadc.Shared(t)
	v := newVerifier(t, dc, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pass := sambadc.OperatorPass
			if i%2 == 1 {
				pass = "wrong"
			}
			p, err := handshake(t, v, sambadc.Domain, sambadc.Operator, pass)
			if (err == nil) != (i%2 == 0) || (err == nil && !p.Admin) {
				errs <- errors.New("logon " + string(rune('0'+i)) + " wrong outcome")
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
