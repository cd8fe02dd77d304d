package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/iisctl/iisctl/kerberos"
)

// KerberosConfig is the [kerberos] section: accept Kerberos (auth type 16,
// and inside SPNEGO) with a keytab ([MS-KILE] 3.4).
type KerberosConfig struct {
	// Keytab holds the service keys (kadmin ktadd, or ktpass on Windows);
	// mode 0600 enforced. Empty: Kerberos is off.
	Keytab string `toml:"keytab"`
	// SPNs are the service principals tickets may name, e.g.
	// "host/iis1.corp.example" (without realm); empty accepts any
	// principal the keytab holds.
	SPNs []string `toml:"spns"`
	// Realms maps a realm to a users-file domain: a principal with no
	// "name@REALM role" line is looked up as DOMAIN\name.
	Realms map[string]string `toml:"realms"`
	// AdminSIDs make a caller an administrator when the ticket's PAC
	// names one of them as the user or a group ([MS-KILE] 3.4.5.3).
	AdminSIDs []string `toml:"admin_sids"`
}

func (k KerberosConfig) validate() error {
	if k.Keytab == "" {
		if len(k.SPNs) > 0 || len(k.Realms) > 0 || len(k.AdminSIDs) > 0 {
			return fmt.Errorf("kerberos: spns, realms and admin_sids need kerberos.keytab")
		}
		return nil
	}
	for _, s := range k.SPNs {
		if !strings.Contains(s, "/") || strings.Contains(s, "@") {
			return fmt.Errorf("kerberos.spns %q: want service/host without realm, e.g. host/iis1.corp.example", s)
		}
	}
	for _, s := range k.AdminSIDs {
		if !strings.HasPrefix(strings.ToUpper(s), "S-1-") {
			return fmt.Errorf("kerberos.admin_sids %q: want a SID such as S-1-5-21-…-512", s)
		}
	}
	return nil
}

// loadKeytab reads the keytab, refusing one others can read.
func loadKeytab(path string) (*keytab.Keytab, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("kerberos.keytab: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("kerberos.keytab %s has mode %04o; it holds the service keys, run chmod 600", path, fi.Mode().Perm())
	}
	kt, err := keytab.Load(path)
	if err != nil {
		return nil, fmt.Errorf("kerberos.keytab %s: %w", path, err)
	}
	return kt, nil
}

// newKerberosAcceptor builds the acceptor, or nil when [kerberos] is off.
// Authorization: a "principal@REALM role" line of the users file, else
// the realm's mapped domain entry, else a PAC SID in admin_sids, else
// (domainAdmin, with [domain]) a PAC SID of [security] admin_groups.
func newKerberosAcceptor(k KerberosConfig, creds *reloadableCreds, domainAdmin func([]string) bool) (*kerberos.Acceptor, error) {
	if k.Keytab == "" {
		return nil, nil
	}
	kt, err := loadKeytab(k.Keytab)
	if err != nil {
		return nil, err
	}
	return kerberos.NewAcceptor(kerberos.AcceptorConfig{Keytab: kt, SPNs: k.SPNs,
		IsAdmin: func(id kerberos.Identity) bool {
			return kerberosAdmin(k, creds, id) || (domainAdmin != nil && id.HasPAC && domainAdmin(append([]string{id.UserSID}, id.SIDs...)))
		}}), nil
}

func kerberosAdmin(k KerberosConfig, creds *reloadableCreds, id kerberos.Identity) bool {
	u := creds.cur.Load()
	if admin, ok := u.Principal(id.Principal, id.Realm); ok {
		return admin
	}
	for realm, dom := range k.Realms {
		if strings.EqualFold(realm, id.Realm) {
			if a, ok := u.Lookup(id.Principal, dom); ok {
				return a.Admin
			}
		}
	}
	for _, sid := range append([]string{id.UserSID}, id.SIDs...) {
		if sid != "" && slices.ContainsFunc(k.AdminSIDs, func(s string) bool { return strings.EqualFold(s, sid) }) {
			return true
		}
	}
	return false
}
