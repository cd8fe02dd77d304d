package krbtest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
)

// Realm is the realm of every KDC StartKDC starts.
const Realm = "IISCTL.TEST"

// Enctype names as MIT spells them.
const (
	AES256 = "aes256-cts-hmac-sha1-96"
	AES128 = "aes128-cts-hmac-sha1-96"
	RC4    = "rc4-hmac"
)

// KDC is a running MIT KDC.
type KDC struct {
	t     testing.TB
	Dir   string
	Host  string // loopback address, port 88
	Realm string
	// Config is the krb5.conf path (KRB5_CONFIG) for clients of this KDC.
	Config string
	cmd    *exec.Cmd
}

var tools = []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit", "kvno"}

// StartKDC starts a KDC for realm Realm on 127.88.X.Y:88 and stops it when
// the test ends.
func StartKDC(t testing.TB) *KDC {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + tool); err2 != nil {
				peertest.Skip(t, "MIT Kerberos tool %s not installed: apt-get install krb5-kdc krb5-admin-server krb5-user", tool)
			}
		}
	}
	dir := t.TempDir()
	k := &KDC{t: t, Dir: dir, Realm: Realm, Config: filepath.Join(dir, "krb5.conf")}
	var lastErr error
	for attempt := 0; attempt < 8; attempt++ {
		host := fmt.Sprintf("127.88.%d.%d", rand.IntN(250)+1, rand.IntN(250)+1)
		l, err := net.Listen("tcp", net.JoinHostPort(host, "88"))
		if err != nil {
			lastErr = err
			continue
		}
		l.Close()
		k.Host = host
		if lastErr = k.start(); lastErr == nil {
			return k
		}
		k.stop()
	}
	t.Fatalf("krbtest: starting krb5kdc: %v", lastErr)
	return nil
}

func (k *KDC) writeConfigs() error {
	enc := strings.Join([]string{AES256, AES128, RC4}, " ")
	krb5 := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	allow_rc4 = true
	allow_weak_crypto = true
	permitted_enctypes = %[3]s
	default_tkt_enctypes = %[3]s
	default_tgs_enctypes = %[3]s
	udp_preference_limit = 1
	ignore_acceptor_hostname = true
[realms]
	%[1]s = {
		kdc = %[2]s:88
		admin_server = %[2]s:749
	}
[domain_realm]
	.iisctl.test = %[1]s
	iisctl.test = %[1]s
`, k.Realm, k.Host, enc)
	kdc := fmt.Sprintf(`[kdcdefaults]
	kdc_listen = %[2]s:88
	kdc_tcp_listen = %[2]s:88
	allow_rc4 = true
[realms]
	%[1]s = {
		database_name = %[3]s/principal
		key_stash_file = %[3]s/stash
		acl_file = %[3]s/kadm5.acl
		max_life = 10h
		max_renewable_life = 1d
		supported_enctypes = %[4]s:normal %[5]s:normal %[6]s:normal
	}
[logging]
	kdc = FILE:%[3]s/kdc.log
`, k.Realm, k.Host, k.Dir, AES256, AES128, RC4)
	if err := os.WriteFile(k.Config, []byte(krb5), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(k.Dir, "kdc.conf"), []byte(kdc), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(k.Dir, "kadm5.acl"), nil, 0o600)
}

// Env returns the environment for MIT tools and clients of this KDC.
func (k *KDC) Env() []string {
	return append(os.Environ(), "KRB5_CONFIG="+k.Config, "KRB5_KDC_PROFILE="+filepath.Join(k.Dir, "kdc.conf"),
		"KRB5RCACHETYPE=none", "KRB5_TRACE=/dev/null")
}

func (k *KDC) run(stdin string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = k.Env()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

func (k *KDC) start() error {
	if err := k.writeConfigs(); err != nil {
		return err
	}
	os.RemoveAll(filepath.Join(k.Dir, "principal"))
	if _, err := k.run("", "kdb5_util", "create", "-s", "-r", k.Realm, "-P", "master-"+k.Host, "-d", filepath.Join(k.Dir, "principal")); err != nil {
		return err
	}
	k.cmd = exec.Command("krb5kdc", "-n", "-P", filepath.Join(k.Dir, "kdc.pid"))
	k.cmd.Env = k.Env()
	var stderr bytes.Buffer
	k.cmd.Stdout, k.cmd.Stderr = &stderr, &stderr
	if err := k.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- k.cmd.Wait() }()
	k.t.Cleanup(k.stop)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			k.cmd = nil
			return fmt.Errorf("krb5kdc exited: %v: %s", err, stderr.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(k.Host, "88"), 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("krb5kdc did not listen on %s:88 within 10s: %s", k.Host, stderr.String())
}

func (k *KDC) stop() {
	if k.cmd != nil && k.cmd.Process != nil {
		k.cmd.Process.Kill()
		k.cmd = nil
	}
}

// Addr is host:88.
func (k *KDC) Addr() string { return net.JoinHostPort(k.Host, "88") }

// AddUser creates principal name with password.
func (k *KDC) AddUser(name, password string) {
	k.t.Helper()
	if _, err := k.run("", "kadmin.local", "-r", k.Realm, "-q", fmt.Sprintf("addprinc -pw %s %s", password, name)); err != nil {
		k.t.Fatal(err)
	}
}

// AddService creates principal spn (e.g. host/iis1.iisctl.test) with a
// random key in each of enctypes (all three when none given) and returns
// a keytab file holding those keys.
func (k *KDC) AddService(spn string, enctypes ...string) string {
	k.t.Helper()
	if len(enctypes) == 0 {
		enctypes = []string{AES256, AES128, RC4}
	}
	var e []string
	for _, x := range enctypes {
		e = append(e, x+":normal")
	}
	ks := strings.Join(e, ",")
	if _, err := k.run("", "kadmin.local", "-r", k.Realm, "-q", fmt.Sprintf("addprinc -randkey -e %s %s", ks, spn)); err != nil {
		k.t.Fatal(err)
	}
	// MIT assumes every service supports AES session keys unless told
	// otherwise: limit them to the service's key types.
	if _, err := k.run("", "kadmin.local", "-r", k.Realm, "-q", fmt.Sprintf("setstr %s session_enctypes %s", spn, strings.Join(enctypes, ","))); err != nil {
		k.t.Fatal(err)
	}
	path := filepath.Join(k.Dir, strings.NewReplacer("/", "_", "@", "_").Replace(spn)+".keytab")
	k.ExportKeytab(path, spn)
	return path
}

// ExportKeytab writes spn's current keys to path (0600) without changing them.
func (k *KDC) ExportKeytab(path, spn string) {
	k.t.Helper()
	if _, err := k.run("", "kadmin.local", "-r", k.Realm, "-q", fmt.Sprintf("ktadd -k %s -norandkey %s", path, spn)); err != nil {
		k.t.Fatal(err)
	}
	os.Chmod(path, 0o600)
}

// Rekey gives spn new random keys (a keytab exported before is now stale).
func (k *KDC) Rekey(spn string) {
	k.t.Helper()
	if _, err := k.run("", "kadmin.local", "-r", k.Realm, "-q", "cpw -randkey "+spn); err != nil {
		k.t.Fatal(err)
	}
}

// Kinit gets a TGT for user into a new FILE ccache and, for each spn, a
// service ticket (kvno) whose session key is of enctype (any when empty).
// It returns the ccache path.
func (k *KDC) Kinit(user, password, enctype string, spns ...string) string {
	k.t.Helper()
	cc := filepath.Join(k.Dir, fmt.Sprintf("cc_%s_%d", strings.ReplaceAll(user, "/", "_"), rand.Int64()))
	env := k.Env()
	conf := k.Config
	if enctype != "" {
		conf = k.ConfigFor(enctype)
	}
	env = append(env, "KRB5_CONFIG="+conf, "KRB5CCNAME=FILE:"+cc)
	run := func(stdin, name string, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			k.t.Fatalf("%s %v: %v: %s", name, args, err, out)
		}
	}
	run(password+"\n", "kinit", user)
	for _, spn := range spns {
		run("", "kvno", spn)
	}
	return cc
}

// ConfigFor writes (once) a krb5.conf that prefers enctype for service
// session keys (listed first in TGS requests), and returns its path. A
// service with keys of one enctype only (AddService(spn, RC4)) gets
// tickets and session keys of that type whatever the client prefers.
func (k *KDC) ConfigFor(enctype string) string {
	path := filepath.Join(k.Dir, "krb5-"+enctype+".conf")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b, err := os.ReadFile(k.Config)
	if err != nil {
		k.t.Fatal(err)
	}
	all := strings.Join([]string{AES256, AES128, RC4}, " ")
	s := strings.Replace(string(b), "default_tgs_enctypes = "+all, "default_tgs_enctypes = "+enctype+" "+all, 1)
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		k.t.Fatal(err)
	}
	return path
}
