package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/iisctl/iisctl/kerberos"
	"github.com/iisctl/iisctl/rpc"
)

// wantKerberos decides Kerberos for these flags and --auth: -k, --keytab
// and --auth kerberos always; negotiate with $KRB5CCNAME set and no
// password source (-p, --password-stdin, $IISCTL_PASSWORD, --hashes), as
// Windows prefers Kerberos when it has a ticket; a password keeps NTLM.
func wantKerberos(f AuthFlags, t AuthType, getenv func(string) string) bool {
	switch {
	case f.Kerberos || f.Keytab != "" || t == AuthKerberos:
		return true
	case t != AuthNegotiate:
		return false
	}
	return getenv("KRB5CCNAME") != "" && !f.PasswordSet && !f.PasswordStdin && f.Hashes == "" && getenv(EnvPassword) == ""
}

// resolveKerberos builds Kerberos credentials when wantKerberos and sets
// the provider: --auth kerberos stays raw Kerberos (16), anything else
// becomes negotiate (Kerberos in SPNEGO). ok=false means NTLM
// (resolveCredentials), with negotiate turned into NTLM. The ticket
// cache is used unless --keytab, or a password source (-p,
// --password-stdin, $IISCTL_PASSWORD) without -k, with -u USER@REALM.
func resolveKerberos(f AuthFlags, conn *ConnOptions, ios *IOStreams, getenv func(string) string) (Credentials, bool, error) {
	conn.SPN, conn.KDC = f.SPN, f.KDC
	if !wantKerberos(f, conn.AuthType, getenv) {
		// negotiate with a password stays negotiate for a domain account
		// (-u CORP\alice, alice@corp.example): the library tries Kerberos
		// with the password (tickets from the domain's KDC, no kinit) and
		// uses NTLM only when Kerberos is impossible. A local account or
		// --hashes is NTLM, as before.
		if conn.AuthType == AuthNegotiate && (f.Hashes != "" || !hasDomain(f.User, getenv)) {
			conn.AuthType = AuthNTLM
		}
		return Credentials{}, false, nil
	}
	if conn.AuthType != AuthKerberos {
		conn.AuthType = AuthNegotiate
	}
	if f.Hashes != "" {
		return Credentials{}, true, usageErrorf("--hashes is NTLM only; Kerberos uses a ticket cache (-k), --keytab or a password")
	}
	var c Credentials
	user := f.User
	if user == "" {
		user = getenv(EnvUser)
	}
	if user != "" {
		dom, u := splitUser(user)
		c.User, c.Domain = u, strings.ToUpper(dom)
	}
	if c.Domain == "" {
		c.Domain = strings.ToUpper(f.Realm)
	}
	usePassword := !f.Kerberos && f.Keytab == "" && (f.PasswordSet || f.PasswordStdin || getenv(EnvPassword) != "")
	switch {
	case f.Keytab != "":
		if c.User == "" || c.Domain == "" {
			return Credentials{}, true, usageErrorf("--keytab needs -u USER@REALM (or --realm)")
		}
		c.Keytab = f.Keytab
	case usePassword:
		if c.User == "" || c.Domain == "" {
			return Credentials{}, true, usageErrorf("Kerberos with a password needs -u USER@REALM (or --realm)")
		}
		pw, err := password(f, ios, getenv, c)
		if err != nil {
			return Credentials{}, true, err
		}
		c.Password = string(pw.b)
		pw.wipe()
	default:
		c.CCache = getenv("KRB5CCNAME")
		if c.CCache == "" {
			c.CCache = "FILE:/tmp/krb5cc_" + uidString()
		}
	}
	return c, true, nil
}

func uidString() string { return strconv.Itoa(os.Getuid()) }

// kerberosHint explains a Kerberos failure: each sentinel says what to
// do (skew, expired ticket, unknown principal, wrong password or keytab).
// A ticket the server refused shows only as a failed bind.
func kerberosHint(t Target, err error, c ConnOptions) string {
	for _, s := range []error{kerberos.ErrSkew, kerberos.ErrExpired, kerberos.ErrNotYetValid, kerberos.ErrUnknownPrincipal,
		kerberos.ErrPreauth, kerberos.ErrModified, kerberos.ErrNoKey, kerberos.ErrWrongPrincipal, kerberos.ErrReplay,
		kerberos.ErrNoCredentials, kerberos.ErrNoConfig, kerberos.ErrMutual} {
		if errors.Is(err, s) {
			return strings.TrimPrefix(s.Error(), "kerberos: ") + "."
		}
	}
	var nak *rpc.BindNakError
	if errors.As(err, &nak) && (c.AuthType == AuthKerberos || c.AuthType == AuthNegotiate) {
		return fmt.Sprintf("%s refused the Kerberos ticket: check --spn (the server's keytab must hold it), "+
			"the clocks (within 5 minutes) and that the server's keytab is current.", t)
	}
	return ""
}

// hasDomain reports whether the user (-u, else $IISCTL_USER) names a domain.
func hasDomain(user string, getenv func(string) string) bool {
	if user == "" {
		user = getenv(EnvUser)
	}
	dom, _ := splitUser(user)
	return dom != ""
}
