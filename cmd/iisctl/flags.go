package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// addAuthFlags registers the credential flags.
func addAuthFlags(fs *pflag.FlagSet, a *AuthFlags) {
	fs.StringVarP(&a.User, "user", "u", "", "the account: [DOMAIN\\]`USER`, DOMAIN/USER or USER@DOMAIN (default $IISCTL_USER)")
	fs.VarP(funcValue{"string", func(s string) error { a.Password, a.PasswordSet = s, true; return nil }},
		"password", "p", "the `PASSWORD`, visible to other users in ps: avoid")
	fs.BoolVar(&a.PasswordStdin, "password-stdin", false, "read the password from the first line of stdin")
	fs.StringVar(&a.Hashes, "hashes", "", "the `NTHASH` instead of a password ([LMHASH:]NTHASH, impacket style)")
	fs.BoolVarP(&a.Kerberos, "kerberos", "k", false, "use Kerberos with the ticket cache ($KRB5CCNAME, as kinit leaves it)")
	fs.StringVar(&a.Keytab, "keytab", "", "use Kerberos as -u USER@REALM with the keys in `FILE`")
	fs.StringVar(&a.SPN, "spn", "", "the server's Kerberos service principal (default host/HOST)")
	fs.StringVar(&a.Realm, "realm", "", "the Kerberos `REALM` when there is no krb5.conf (with --kdc)")
	fs.StringVar(&a.KDC, "kdc", "", "the KDC `HOST[:PORT]` of --realm")
}

// addConnFlags registers the connection flags.
func addConnFlags(fs *pflag.FlagSet, c *ConnOptions) {
	fs.Var(funcValue{"level", func(s string) error {
		l, ok := map[string]AuthLevel{"integrity": AuthLevelIntegrity, "privacy": AuthLevelPrivacy}[strings.ToLower(s)]
		if strings.EqualFold(s, "connect") {
			// Windows refuses DCOM activation below packet integrity
			// since KB5004442 ([MS-DCOM] 3.2.4.1.2.2); so do we.
			return errors.New("DCOM activation needs at least integrity; want integrity or privacy")
		}
		if !ok {
			return errors.New("want integrity or privacy")
		}
		c.AuthLevel = l
		return nil
	}}, "auth-level", "integrity or privacy (default privacy); DCOM activation refuses anything lower")
	fs.Var(funcValue{"type", func(s string) error {
		t, ok := map[string]AuthType{"negotiate": AuthNegotiate, "kerberos": AuthKerberos,
			"ntlm": AuthNTLM, "spnego": AuthSPNEGO}[strings.ToLower(s)]
		if !ok {
			return errors.New("want negotiate, kerberos, ntlm or spnego")
		}
		c.AuthType = t
		return nil
	}}, "auth", "negotiate, kerberos, ntlm or spnego (default negotiate: Kerberos with a ticket cache or keytab, else NTLM)")
	fs.Var(funcValue{"duration", func(s string) error {
		d, err := parseSeconds(s)
		c.DialTimeout = d
		return err
	}}, "dial-timeout", "time to connect and activate (default 15s)")
	fs.Var(funcValue{"road", func(s string) error {
		switch strings.ToLower(s) {
		case "instance":
			c.ClassObject = false
		case "classobject":
			c.ClassObject = true
		default:
			return errors.New("want instance or classobject")
		}
		return nil
	}}, "activation", "instance (RemoteCreateInstance, as iisreset) or classobject (RemoteGetClassObject and IClassFactory, as PowerShell); default instance")
}

// funcValue is a pflag.Value that hands the text to set. Its String is
// empty, so that help shows the defaults the usage text names.
type funcValue struct {
	typ string
	set func(string) error
}

func (v funcValue) String() string     { return "" }
func (v funcValue) Set(s string) error { return v.set(s) }
func (v funcValue) Type() string       { return v.typ }

// parseSeconds reads a Go duration ("90s", "2m") or a number of seconds
// ("90", as iisreset's /TIMEOUT).
func parseSeconds(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 90s or 2m, or a number of seconds")
	}
	return d, nil
}

// splitLeading separates iisctl's own flags (-u, --password-stdin, ...),
// wherever they stand, from iisreset's arguments, which keep their order.
// iisreset's switches (/STOP, -stop, /TIMEOUT:30) never name one of our
// flags. A long flag written with one dash (-user) is ours too, and is
// returned as --user. Everything after "--" is iisreset's.
func splitLeading(fs *pflag.FlagSet, args []string) (flags, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(rest, args[i+1:]...)
		}
		name, _, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var f *pflag.Flag
		switch {
		case !strings.HasPrefix(a, "-"):
		case len(name) == 1:
			f = fs.ShorthandLookup(name)
		default:
			if f = fs.Lookup(name); f != nil && !strings.HasPrefix(a, "--") {
				a = "-" + a
			}
		}
		if f == nil {
			rest = append(rest, args[i])
			continue
		}
		flags = append(flags, a)
		if !hasVal && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, rest
}
