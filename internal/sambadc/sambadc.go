package sambadc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
)

// The test domain and its fixture accounts. Password complexity, history
// and age limits are off in this domain.
const (
	Realm   = "IISTEST.LOCAL"
	Domain  = "IISTEST" // NetBIOS name
	DNSName = "iistest.local"
	Host    = "dc1"
	FQDN    = Host + "." + DNSName

	Admin         = "administrator" // a member of Domain Admins
	AdminPassword = "Passw0rd!Adm1n"
	Group         = "IIS Operators"  // the admin group the tests configure
	Operator      = "alice"          // member of Group
	OperatorPass  = "Passw0rd!Al1ce" //
	Outsider      = "bob"            // an enabled user outside Group
	OutsiderPass  = "Passw0rd!B0b"   //
	Disabled      = "carol"          // a member of Group whose account is disabled
	DisabledPass  = "Passw0rd!Car0l" //
	Leaver        = "dave"           // a member of Group, for tests that remove him
	LeaverPass    = "Passw0rd!Dav3"  //
	// Members of Group whose logons the DC refuses for other reasons, all
	// with RestrictedPass.
	MustChange     = "erin"  // must change the password first (pwdLastSet 0)
	Expired        = "frank" // the account has expired (accountExpires in 1601)
	NoHours        = "gina"  // no logon hours at all (logonHours all zero)
	Locked         = "hank"  // locked out (lockoutTime set, lockout lasts until unlocked)
	RestrictedPass = "Passw0rd!R3str1cted"

	// ServiceAccount is the computer account of the iissd under test, with
	// the SPNs ServiceSPN and "HOST/IISSD" and AES and RC4 keys.
	ServiceAccount = "IISSD$"
	ServicePass    = "Mach1ne!Pass-IISSD"
	ServiceHost    = "iissd." + DNSName
	ServiceSPN     = "host/" + ServiceHost
)

// RPCPort is where every DCE/RPC interface of the DC listens over
// ncacn_ip_tcp (samr, dssetup, lsarpc, netlogon, drsuapi...): fixed, so
// clients need no endpoint mapper. Netlogon has its own (NetlogonPort).
const RPCPort = 49152

// NetlogonPort is netlogon's own ncacn_ip_tcp port.
const NetlogonPort = 49153

// Time limits.
const (
	provisionTimeout = 180 * time.Second
	startTimeout     = 60 * time.Second
	toolTimeout      = 60 * time.Second
	stopGrace        = 2 * time.Second
	// MaxRuntime makes samba exit by itself if the test binary dies
	// without stopping it.
	MaxRuntime = 30 * time.Minute
)

// ErrUnavailable wraps the reason a DC cannot run here (not root, a
// program missing).
var ErrUnavailable = errors.New("sambadc: cannot run a Samba DC here")

// DC is a running domain controller.
type DC struct {
	Dir      string // everything lives here
	IP       string // loopback address samba binds
	SmbConf  string // its smb.conf (pass to every Samba tool)
	Krb5Conf string // a krb5.conf for KRB5_CONFIG: realm Realm -> IP
	// DomainSID is the domain's SID, S-1-5-21-x-y-z.
	DomainSID string

	unshare *exec.Cmd
	nsPID   int
	exited  chan struct{}
	keytab  struct {
		once sync.Once
		path string
		err  error
	}
	stopOnce sync.Once
}

// Available reports why a DC cannot run here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (namespaces, bind mounts)", ErrUnavailable)
	}
	for _, p := range []string{"samba", "samba-tool", "ntlm_auth", "wbinfo", "unshare", "nsenter", "/usr/bin/python3"} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%w: %s not found (apt-get install samba samba-ad-dc winbind util-linux)", ErrUnavailable, p)
		}
	}
	return nil
}

var shared struct {
	mu  sync.Mutex
	dc  *DC
	err error
	ran bool
}

// Shared returns the test binary's DC, provisioning and starting it on
// first use. It skips t (or fails it under IISCTL_REQUIRE_PEERS=1) when no
// DC can run here, and fails t when starting it failed. Call StopShared
// from TestMain.
func Shared(t testing.TB) *DC {
	t.Helper()
	if err := Available(); err != nil {
		peertest.Skip(t, "%v", err)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.ran {
		shared.ran = true
		ctx, cancel := context.WithTimeout(context.Background(), provisionTimeout+startTimeout)
		shared.dc, shared.err = Start(ctx, "")
		cancel()
	}
	if shared.err != nil {
		t.Fatalf("samba DC: %v", shared.err)
	}
	return shared.dc
}

// StopShared stops the DC that Shared started, if any.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.dc != nil {
		shared.dc.Stop()
	}
}

// pickIP chooses a loopback address for this process: 127.77.x.y from
// the PID, so that test binaries running at once differ.
func pickIP() string {
	p := os.Getpid()
	return fmt.Sprintf("127.77.%d.%d", (p>>8)&0xff, p&0xff%253+1)
}

// Start provisions a DC with the fixtures into a new temporary directory
// and starts it on ip (empty: chosen from the PID). Stop removes it.
func Start(ctx context.Context, ip string) (*DC, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if ip == "" {
		ip = pickIP()
	}
	dir, err := os.MkdirTemp("", "iisctl-sambadc-")
	if err != nil {
		return nil, err
	}
	dc := newDC(dir, ip)
	tpl, sid, unlock, err := template(ctx)
	if err == nil {
		dc.DomainSID = sid
		err = runQuiet(ctx, "cp", "-a", tpl+"/.", dir+"/")
		unlock()
	}
	if err == nil {
		err = dc.writeConfig()
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := dc.start(ctx); err != nil {
		dc.Stop()
		return nil, err
	}
	return dc, nil
}

func (dc *DC) log(name string) string { return filepath.Join(dc.Dir, "log", name) }

// tail returns the last lines of a log file, for error messages.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func newDC(dir, ip string) *DC {
	return &DC{Dir: dir, IP: ip, SmbConf: filepath.Join(dir, "etc", "smb.conf"), Krb5Conf: filepath.Join(dir, "krb5.conf")}
}

// template returns a directory with a provisioned domain and its
// fixtures, made once per machine and code version and copied for each
// DC (provisioning is most of a DC's start-up cost; the databases hold no
// absolute paths, and the address the template was provisioned with only
// appears in DNS records nobody asks for). Test binaries running at once
// wait for each other on a lock file, held while provisioning and while
// copying; templates of other code unused for an hour are removed.
func template(ctx context.Context) (dir, sid string, unlock func(), err error) {
	ver, _ := exec.CommandContext(ctx, "samba", "-V").Output()
	h := sha256.Sum256([]byte(string(ver) + fixturesPy + innerSh + newDC("/", "127.0.0.1").smbConf()))
	dir = filepath.Join(os.TempDir(), templatePrefix+fmt.Sprintf("%x", h[:6]))
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", "", nil, err
	}
	for syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		select {
		case <-ctx.Done():
			lock.Close()
			return "", "", nil, fmt.Errorf("sambadc: waiting for another test binary to provision %s: %w", dir, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Held until the caller has copied the template; closing releases it.
	unlock = func() { lock.Close() }
	now := time.Now()
	os.Chtimes(lock.Name(), now, now) // last use, for removeStaleTemplates
	removeStaleTemplates(dir)
	if b, err := os.ReadFile(filepath.Join(dir, "domain.sid")); err == nil {
		return dir, strings.TrimSpace(string(b)), unlock, nil
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		unlock()
		return "", "", nil, err
	}
	t := newDC(dir, "127.77.0.1")
	if err := t.provision(ctx); err != nil {
		os.RemoveAll(dir)
		unlock()
		return "", "", nil, err
	}
	// Written last: its presence means the template is complete.
	if err := os.WriteFile(filepath.Join(dir, "domain.sid"), []byte(t.DomainSID+"\n"), 0o644); err != nil {
		unlock()
		return "", "", nil, err
	}
	return dir, t.DomainSID, unlock, nil
}

const templatePrefix = "iisctl-sambadc-template-"

// staleTemplate is how long a template of other code may go unused
// before a test binary removes it.
const staleTemplate = time.Hour

// removeStaleTemplates removes templates other than keep that nobody
// has used for staleTemplate, and that nobody holds now.
func removeStaleTemplates(keep string) {
	locks, _ := filepath.Glob(filepath.Join(os.TempDir(), templatePrefix+"*.lock"))
	for _, l := range locks {
		dir := strings.TrimSuffix(l, ".lock")
		fi, err := os.Stat(l)
		if dir == keep || err != nil || time.Since(fi.ModTime()) < staleTemplate {
			continue
		}
		f, err := os.OpenFile(l, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(dir)
			os.Remove(l)
		}
		f.Close()
	}
}

func runQuiet(ctx context.Context, argv ...string) error {
	_, err := runCmd(ctx, argv...)
	return err
}

// writeConfig writes the DC's smb.conf, krb5.conf and private /etc/hosts.
func (dc *DC) writeConfig() error {
	for _, d := range []string{"log", "run", "cache", "etc"} {
		if err := os.MkdirAll(filepath.Join(dc.Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(dc.SmbConf, []byte(dc.smbConf()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(dc.Krb5Conf, []byte(dc.krb5Conf()), 0o644); err != nil {
		return err
	}
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n%s\t%s %s\n%s\t%s iissd\n", dc.IP, FQDN, Host, dc.IP, ServiceHost)
	return os.WriteFile(filepath.Join(dc.Dir, "hosts"), []byte(hosts), 0o644)
}

// provision provisions the domain and its fixtures into dc.Dir.
func (dc *DC) provision(ctx context.Context) error {
	for _, d := range []string{"log", "run", "cache"} {
		if err := os.MkdirAll(filepath.Join(dc.Dir, d), 0o755); err != nil {
			return err
		}
	}
	// Offline: a private empty network namespace.
	pctx, cancel := context.WithTimeout(ctx, provisionTimeout)
	defer cancel()
	logf, err := os.Create(dc.log("provision.log"))
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(pctx, "unshare", "--net", "samba-tool", "domain", "provision",
		"--targetdir="+dc.Dir, "--realm="+Realm, "--domain="+Domain, "--host-name="+Host,
		"--server-role=dc", "--dns-backend=SAMBA_INTERNAL", "--adminpass="+AdminPassword,
		"--host-ip="+dc.IP, "--option=interfaces="+dc.IP+"/8", "--option=bind interfaces only=yes")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	logf.Close()
	if err != nil {
		return fmt.Errorf("samba-tool domain provision: %w\n%s", err, tail(dc.log("provision.log"), 15))
	}
	if err := dc.writeConfig(); err != nil {
		return err
	}
	out, err := dc.python(pctx, fixturesPy, dc.Dir)
	if err != nil {
		return fmt.Errorf("fixtures: %w\n%s", err, out)
	}
	dc.DomainSID = strings.TrimSpace(out)
	if !strings.HasPrefix(dc.DomainSID, "S-1-5-21-") {
		return fmt.Errorf("fixtures: unexpected domain SID %q", out)
	}
	return nil
}

// smbConf replaces the generated smb.conf: no logging to /var/log/samba, no
// DNS forwarding to the machine's resolver, no services that reach out.
func (dc *DC) smbConf() string {
	d := dc.Dir
	return `[global]
	netbios name = ` + strings.ToUpper(Host) + `
	realm = ` + Realm + `
	workgroup = ` + Domain + `
	server role = active directory domain controller
	interfaces = ` + dc.IP + `/8
	bind interfaces only = yes
	private dir = ` + d + `/private
	lock directory = ` + d + `
	state directory = ` + d + `/state
	cache directory = ` + d + `/cache
	binddns dir = ` + d + `/bind-dns
	pid directory = /run/samba
	log file = ` + d + `/log/log.%m
	logging = file
	log level = 1 auth_audit:5
	panic action =
	disable netbios = yes
	rpc server port = ` + strconv.Itoa(RPCPort) + `
	rpc server port:netlogon = ` + strconv.Itoa(NetlogonPort) + `
	dns forwarder =
	server services = -dnsupdate -nbt -wrepl -kcc -drepl -ntp_signd
	dns update command = /bin/true
	spn update command = /bin/true
[sysvol]
	path = ` + d + `/state/sysvol
	read only = No
[netlogon]
	path = ` + d + `/state/sysvol/` + DNSName + `/scripts
	read only = No
`
}

func (dc *DC) krb5Conf() string {
	return `[libdefaults]
	default_realm = ` + Realm + `
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	dns_canonicalize_hostname = false
	default_ccache_name = FILE:` + dc.Dir + `/krb5cc
[realms]
	` + Realm + ` = {
		kdc = ` + dc.IP + `
		admin_server = ` + dc.IP + `
		kpasswd_server = ` + dc.IP + `
	}
[domain_realm]
	.` + DNSName + ` = ` + Realm + `
	` + DNSName + ` = ` + Realm + `
`
}

// fixturesPy writes the fixtures straight into sam.ldb (samba is not
// running yet) and prints the domain SID.
const fixturesPy = `
import sys, ldb
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
D = sys.argv[1]
lp = LoadParm(); lp.load(D + "/etc/smb.conf")
db = SamDB(url=D + "/private/sam.ldb", session_info=system_session(), lp=lp)
m = ldb.Message(ldb.Dn(db, str(db.domain_dn())))
m["minPwdLength"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "minPwdLength")
m["pwdProperties"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "pwdProperties")
m["pwdHistoryLength"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "pwdHistoryLength")
m["minPwdAge"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "minPwdAge")
m["maxPwdAge"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "maxPwdAge")
m["lockoutDuration"] = ldb.MessageElement("0", ldb.FLAG_MOD_REPLACE, "lockoutDuration")  # until unlocked
db.modify(m)
for u, p in ` + "[(\"" + Operator + "\", \"" + OperatorPass + "\"), (\"" + Outsider + "\", \"" + OutsiderPass + "\"), (\"" + Disabled + "\", \"" + DisabledPass + "\"), (\"" + Leaver + "\", \"" + LeaverPass + "\")]" + `:
    db.newuser(u, p)
db.newgroup("` + Group + `")
db.add_remove_group_members("` + Group + `", ["` + Operator + `", "` + Disabled + `", "` + Leaver + `"], add_members_operation=True)
db.disable_account("(sAMAccountName=` + Disabled + `)")
for u, attr, val in [("` + MustChange + `", "pwdLastSet", b"0"), ("` + Expired + `", "accountExpires", b"1"),
                     ("` + NoHours + `", "logonHours", bytes(21)), ("` + Locked + `", "lockoutTime", b"1")]:
    db.newuser(u, "` + RestrictedPass + `")
    db.add_remove_group_members("` + Group + `", [u], add_members_operation=True)
    res = db.search(base=db.domain_dn(), expression="(sAMAccountName=%s)" % u, attrs=[])
    m = ldb.Message(res[0].dn)
    m[attr] = ldb.MessageElement(val, ldb.FLAG_MOD_REPLACE, attr)
    db.modify(m)
db.newcomputer("IISSD", prepare_oldjoin=True,
    service_principal_name_list=["` + ServiceSPN + `", "HOST/IISSD"])
db.setpassword("(sAMAccountName=IISSD$)", "` + ServicePass + `")
m = ldb.Message(ldb.Dn(db, "CN=IISSD,CN=Computers," + str(db.domain_dn())))
m["e"] = ldb.MessageElement("28", ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
db.modify(m)
print(db.get_domain_sid())
`

func (dc *DC) python(ctx context.Context, script string, args ...string) (string, error) {
	f := filepath.Join(dc.Dir, "script.py")
	if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", append([]string{f}, args...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return so.String() + se.String(), err
	}
	return so.String(), nil
}

// innerSh runs as PID 1 of the DC's namespaces; its mounts are private.
const innerSh = `#!/bin/bash
set -e
D=$1; MAXRT=$2
mount --bind "$D/hosts" /etc/hosts
if [ ! -d /run/samba ]; then mount -t tmpfs -o mode=755 sambadc-run /run; mkdir -p /run/samba; fi
mount --bind "$D/run" /run/samba
exec samba --foreground -s "$D/etc/smb.conf" -M single --maximum-runtime="$MAXRT"
`

func (dc *DC) start(ctx context.Context) error {
	// A listener on our address (another DC, another test) makes samba
	// exit at once; say so plainly.
	for _, port := range []int{88, 135, 389, 445} {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(dc.IP, strconv.Itoa(port)), 200*time.Millisecond); err == nil {
			c.Close()
			return fmt.Errorf("sambadc: %s:%d is already in use", dc.IP, port)
		}
	}
	inner := filepath.Join(dc.Dir, "inner.sh")
	if err := os.WriteFile(inner, []byte(innerSh), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dc.log("samba.out"))
	if err != nil {
		return err
	}
	cmd := exec.Command("unshare", "--fork", "--pid", "--mount-proc", "--mount", "--propagation", "private",
		"--kill-child=KILL", inner, dc.Dir, strconv.Itoa(int(MaxRuntime/time.Second)))
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "KRB5_CONFIG=" + dc.Krb5Conf}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group; and if this test binary dies, unshare dies,
	// and --kill-child takes samba (PID 1 of its namespace) and the rest.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	out.Close()
	dc.unshare = cmd
	dc.exited = make(chan struct{})
	go func() { cmd.Wait(); close(dc.exited) }()

	deadline := time.Now().Add(startTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	fail := func(msg string) error {
		return fmt.Errorf("sambadc: %s\n%s\n%s", msg, tail(dc.log("samba.out"), 10), tail(dc.log("log.samba"), 10))
	}
	for dc.nsPID == 0 {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		if f := strings.Fields(string(b)); len(f) > 0 {
			dc.nsPID, _ = strconv.Atoi(f[0])
			break
		}
		if err := dc.waitTick(deadline); err != nil {
			return fail("namespace did not start: " + err.Error())
		}
	}
	for {
		if dc.answers() {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := dc.Exec(rctx, "wbinfo", "-p")
			cancel()
			if err == nil {
				return nil
			}
		}
		if err := dc.waitTick(deadline); err != nil {
			return fail("not answering: " + err.Error())
		}
	}
}

func (dc *DC) waitTick(deadline time.Time) error {
	select {
	case <-dc.exited:
		return errors.New("samba exited")
	case <-time.After(50 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		return errors.New("timed out")
	}
	return nil
}

// answers reports whether the KDC, endpoint mapper, LDAP and SMB accept.
func (dc *DC) answers() bool {
	for _, port := range []int{88, 135, 389, 445} {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(dc.IP, strconv.Itoa(port)), time.Second)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

// ExecPrefix is the command prefix that runs a program where the DC's
// winbindd socket (/run/samba/winbindd) and names are visible: its mount
// and PID namespaces. Programs so run die with the DC.
func (dc *DC) ExecPrefix() []string {
	return []string{"nsenter", "--target", strconv.Itoa(dc.nsPID), "--mount", "--pid", "--", "env", "KRB5_CONFIG=" + dc.Krb5Conf}
}

// Exec runs a program through ExecPrefix and returns its combined output.
func (dc *DC) Exec(ctx context.Context, args ...string) (string, error) {
	p := dc.ExecPrefix()
	return runCmd(ctx, append(p, args...)...)
}

func runCmd(ctx context.Context, argv ...string) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, toolTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Tool runs samba-tool against the DC's sam.ldb (samba-tool's options go
// after the subcommand).
func (dc *DC) Tool(ctx context.Context, args ...string) (string, error) {
	return runCmd(ctx, append(append([]string{"samba-tool"}, args...), "--configfile="+dc.SmbConf)...)
}

// AddUser creates an enabled user.
func (dc *DC) AddUser(ctx context.Context, user, password string) error {
	_, err := dc.Tool(ctx, "user", "create", user, password)
	return err
}

// AddMember adds user to group.
func (dc *DC) AddMember(ctx context.Context, group, user string) error {
	_, err := dc.Tool(ctx, "group", "addmembers", group, user)
	return err
}

// RemoveMember removes user from group.
func (dc *DC) RemoveMember(ctx context.Context, group, user string) error {
	_, err := dc.Tool(ctx, "group", "removemembers", group, user)
	return err
}

// Disable disables an account.
func (dc *DC) Disable(ctx context.Context, user string) error {
	_, err := dc.Tool(ctx, "user", "disable", user)
	return err
}

// SID returns the SID of DOMAIN\name (a user or a group) as winbind sees it.
func (dc *DC) SID(ctx context.Context, name string) (string, error) {
	out, err := dc.Exec(ctx, "wbinfo", "--name-to-sid="+Domain+`\`+name)
	if err != nil {
		return "", err
	}
	f := strings.Fields(out)
	if len(f) == 0 || !strings.HasPrefix(f[0], "S-1-") {
		return "", fmt.Errorf("wbinfo --name-to-sid %q: %q", name, out)
	}
	return f[0], nil
}

// AddSPN registers another service principal name on account.
func (dc *DC) AddSPN(ctx context.Context, spn, account string) error {
	_, err := dc.Tool(ctx, "spn", "add", spn, account)
	return err
}

// ExportKeytab writes the keys of principals (SPNs or account names) to
// a keytab at path, mode 0600.
func (dc *DC) ExportKeytab(ctx context.Context, path string, principals ...string) error {
	for _, p := range principals {
		if _, err := dc.Tool(ctx, "domain", "exportkeytab", path, "--principal="+p); err != nil {
			return err
		}
	}
	return os.Chmod(path, 0o600)
}

// Keytab exports (once) the service keytab for ServiceSPN, "HOST/IISSD"
// and IISSD$ (AES256, AES128, RC4) and returns its path.
func (dc *DC) Keytab(ctx context.Context) (string, error) {
	k := &dc.keytab
	k.once.Do(func() {
		k.path = filepath.Join(dc.Dir, "iissd.keytab")
		k.err = dc.ExportKeytab(ctx, k.path, ServiceSPN, "HOST/IISSD", ServiceAccount)
	})
	return k.path, k.err
}

// Stop kills samba (and with it smbd, winbindd and whatever runs in its
// namespaces), waits for it and removes the directory.
func (dc *DC) Stop() {
	dc.stopOnce.Do(func() {
		if dc.nsPID > 0 && dc.ours(dc.nsPID) {
			syscall.Kill(dc.nsPID, syscall.SIGTERM)
			select {
			case <-dc.exited:
			case <-time.After(stopGrace):
				if dc.ours(dc.nsPID) {
					syscall.Kill(dc.nsPID, syscall.SIGKILL)
				}
			}
		}
		if dc.unshare != nil {
			select {
			case <-dc.exited:
			case <-time.After(stopGrace):
				dc.unshare.Process.Kill()
				<-dc.exited
			}
		}
		os.RemoveAll(dc.Dir)
	})
}

// ours checks that pid is still this DC's namespace init: it sees our
// run directory at /run/samba (samba retitles itself, so its command line
// says little).
func (dc *DC) ours(pid int) bool {
	var a, b syscall.Stat_t
	if syscall.Stat(fmt.Sprintf("/proc/%d/root/run/samba", pid), &a) != nil || syscall.Stat(filepath.Join(dc.Dir, "run"), &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}
