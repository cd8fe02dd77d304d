package iiss

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iisctl/iisctl/kerberos"
	"github.com/jcmturner/gokrb5/v8/config"
)

// passwordTicketTimeout bounds the KDC exchanges that decide whether
// AuthNegotiate with a password can use Kerberos.
const passwordTicketTimeout = 10 * time.Second

// kerberosForPassword decides Kerberos for AuthNegotiate with a password
// (no ticket cache, no keytab), as a Windows client in a domain does: it
// finds the realm of Credentials.Domain (realmFor), logs on to the
// realm's KDC with the password and gets a ticket for the server's SPN,
// before any connection is made. It returns nil and why when Kerberos is
// impossible (no krb5.conf realm for the domain, no KDC, the KDC
// unreachable, the SPN unknown): the caller then uses NTLM. A password
// the KDC refuses is an error, never a reason to try NTLM.
func kerberosForPassword(ctx context.Context, host string, cfg ClientConfig) (*kerberos.ClientConfig, string, error) {
	c := cfg.Credentials
	if c.Password == "" || c.Domain == "" || len(c.NTHash) != 0 || c.CCache != "" || c.Keytab != "" {
		return nil, "no password and domain for Kerberos", nil
	}
	conf, _ := kerberos.LoadConfig("", "", "")
	realm := realmFor(c.Domain, conf)
	if realm == "" {
		return nil, fmt.Sprintf("no Kerberos realm for domain %s in krb5.conf", c.Domain), nil
	}
	if cfg.KDC != "" || conf == nil {
		var err error
		if conf, err = kerberos.LoadConfig("", realm, cfg.KDC); err != nil {
			return nil, fmt.Sprintf("no krb5.conf and no KDC for realm %s", realm), nil
		}
	}
	if n, _, err := conf.GetKDCs(realm, true); err != nil || n == 0 {
		return nil, fmt.Sprintf("no KDC for realm %s", realm), nil
	}
	spn := cfg.SPN
	if spn == "" {
		spn = "host/" + host
	}
	src := kerberos.FromPassword(c.User, realm, c.Password, conf)
	tctx, cancel := context.WithTimeout(ctx, passwordTicketTimeout)
	defer cancel()
	// gokrb5 does not take a context: wait for it at most until tctx
	// ends (its own KDC timeouts end the goroutine).
	done := make(chan error, 1)
	go func() { _, _, err := src.ServiceTicket(tctx, spn); done <- err }()
	var err error
	select {
	case err = <-done:
	case <-tctx.Done():
		err = tctx.Err()
	}
	if err != nil {
		if errors.Is(err, kerberos.ErrPreauth) {
			return nil, "", fmt.Errorf("iiss: Kerberos logon of %s@%s: %w", c.User, realm, err)
		}
		return nil, fmt.Sprintf("no ticket for %s from realm %s: %v", spn, realm, err), nil
	}
	return &kerberos.ClientConfig{Tickets: src, SPN: spn, Now: cfg.Now, Rand: cfg.Rand}, "", nil
}

// realmFor maps the domain of -u DOMAIN\user to a Kerberos realm: a DNS
// name is its realm (upper-cased, as AD realms are); a NetBIOS name is
// the krb5.conf realm whose first label it is (the default realm first),
// as CORP is CORP.EXAMPLE.COM. "" when there is none.
func realmFor(domain string, conf *config.Config) string {
	if strings.Contains(domain, ".") {
		return strings.ToUpper(domain)
	}
	if conf == nil {
		return ""
	}
	first := func(realm string) bool {
		l, _, _ := strings.Cut(realm, ".")
		return strings.EqualFold(l, domain)
	}
	if first(conf.LibDefaults.DefaultRealm) {
		return strings.ToUpper(conf.LibDefaults.DefaultRealm)
	}
	for _, r := range conf.Realms {
		if first(r.Realm) {
			return strings.ToUpper(r.Realm)
		}
	}
	return ""
}
