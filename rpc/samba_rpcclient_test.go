package rpc_test

// Samba's rpcclient (source3, C) as the independent, authenticated client
// of our server: SPNEGO-wrapped NTLM and raw NTLM at integrity and
// privacy ([MS-RPCE] 2.2.2.11, 3.3.1.5.2; [MS-SPNG] 3.2.5.1, with the
// RC4 handles reset after mechListMIC as Samba's gensec_may_reset_crypto
// does). impacket cannot drive
// SPNEGO+NTLM, so this is the independent check of that path.
//
// rpcclient ignores any port in an ncacn_ip_tcp binding and asks the
// endpoint mapper on TCP 135 first, so the test runs, as root, on a
// loopback address of its own: a test-only endpoint mapper on
// sambaHost:135 answers ept_map with a tower naming our real server on
// sambaHost:<port>.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iisctl/iisctl/internal/peertest"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// sambaHost is the loopback address of the test's endpoint mapper and
// server (every 127/8 address is local on Linux).
const sambaHost = "127.44.0.1"

// rpcclientTimeout bounds one rpcclient run.
const rpcclientTimeout = 60 * time.Second

var (
	epmIface    = rpc.SyntaxID{UUID: ndr.MustGUID("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), Major: 3}
	srvsvcIface = rpc.SyntaxID{UUID: ndr.MustGUID("4b324fc8-1670-01d3-1278-5a47bf6ee188"), Major: 3}
)

const (
	epmOpnumMap            = 3          // ept_map
	epmStatusNotRegistered = 0x16c9a0d6 // EPT_S_NOT_REGISTERED
	srvsvcOpnums           = 54
	srvsvcOpnumGetInfo     = 21         // NetrServerGetInfo
	werrInvalidLevel       = 124        // ERROR_INVALID_LEVEL
	platformIDNT           = 500        // PLATFORM_ID_NT
	svTypeServerNT         = 0x00009003 // SV_TYPE_WORKSTATION|SERVER|SERVER_NT|NT
	sambaSrvComment        = "iisctl srvsvc under test"
)

// Tower floor protocol identifiers (C706 Appendix I; [MS-RPCE] 2.2.1.2.5).
const (
	towerUUID  = 0x0d
	towerRPCCO = 0x0b
	towerTCP   = 0x07
	towerIP    = 0x09
)

type towerFloor struct{ lhs, rhs []byte }

func encodeTower(floors []towerFloor) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(len(floors)))
	for _, f := range floors {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f.lhs)))
		b = append(b, f.lhs...)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f.rhs)))
		b = append(b, f.rhs...)
	}
	return b
}

func decodeTower(b []byte) ([]towerFloor, error) {
	if len(b) < 2 {
		return nil, errors.New("short tower")
	}
	n := int(binary.LittleEndian.Uint16(b))
	b = b[2:]
	var fs []towerFloor
	for range n {
		var side [2][]byte
		for i := range side {
			if len(b) < 2 {
				return nil, errors.New("short floor")
			}
			l := int(binary.LittleEndian.Uint16(b))
			if len(b) < 2+l {
				return nil, errors.New("short floor")
			}
			side[i], b = b[2:2+l], b[2+l:]
		}
		fs = append(fs, towerFloor{side[0], side[1]})
	}
	return fs, nil
}

func uuidFloor(id ndr.GUID, major, minor uint16) towerFloor {
	lhs := append([]byte{towerUUID}, id[:]...)
	lhs = binary.LittleEndian.AppendUint16(lhs, major)
	return towerFloor{lhs, binary.LittleEndian.AppendUint16(nil, minor)}
}

// tcpTower is the ncacn_ip_tcp tower of an interface at ip:port.
func tcpTower(ifc rpc.SyntaxID, ip net.IP, port uint16) []byte {
	return encodeTower([]towerFloor{
		uuidFloor(ifc.UUID, ifc.Major, ifc.Minor),
		uuidFloor(ndr.NDR20UUID, ndr.NDR20Version, 0),
		{[]byte{towerRPCCO}, []byte{0, 0}},
		{[]byte{towerTCP}, binary.BigEndian.AppendUint16(nil, port)},
		{[]byte{towerIP}, ip.To4()},
	})
}

// epmMapper is a test-only endpoint mapper that knows one endpoint.
type epmMapper struct {
	ifc rpc.SyntaxID
	ip  net.IP

	mu       sync.Mutex
	port     uint16
	requests int
	asked    []ndr.GUID
}

// setPort points the mapper at another server.
func (m *epmMapper) setPort(port int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.port = uint16(port)
}

// ServeRPC answers ept_map ([MS-RPCE] 3.1.4.3; C706 Appendix O):
//
//	[in, ptr] UUID *object; [in, ptr] twr_p_t map_tower;
//	[in, out] ept_lookup_handle_t *entry_handle; [in] unsigned32 max_towers;
//	[out] unsigned32 *num_towers;
//	[out, ptr, size_is(max_towers), length_is(*num_towers)] twr_p_t towers[];
//	[out] error_status_t *status
func (m *epmMapper) ServeRPC(ctx context.Context, c *rpc.Call) ([]byte, error) {
	if c.Opnum != epmOpnumMap {
		return nil, &rpc.FaultError{Status: 0x1c010002, DidNotExecute: true} // nca_s_op_rng_error
	}
	r := ndr.NewReader(c.Stub, c.Syntax)
	var tower []byte
	r.Pointer(func(r *ndr.Reader) { var g ndr.GUID; g.UnmarshalNDR(r) })
	r.Flush()
	r.Pointer(func(r *ndr.Reader) {
		max := r.Count()
		n := int(r.Uint32())
		if n > max {
			r.Failf("tower_length %d > max_count %d", n, max)
			return
		}
		tower = r.Raw(n)
	})
	r.Flush()
	r.Align(4)
	handle := r.Raw(20)
	maxTowers := r.Uint32()
	if err := r.Err(); err != nil {
		return nil, err
	}
	floors, err := decodeTower(tower)
	if err != nil || len(floors) < 1 || len(floors[0].lhs) != 19 || floors[0].lhs[0] != towerUUID {
		return nil, fmt.Errorf("%w: map_tower %x (%v)", rpc.ErrInvalidStub, tower, err)
	}
	var asked ndr.GUID
	copy(asked[:], floors[0].lhs[1:17])
	major := binary.LittleEndian.Uint16(floors[0].lhs[17:])
	m.mu.Lock()
	m.requests++
	m.asked = append(m.asked, asked)
	port := m.port
	m.mu.Unlock()

	w := ndr.NewWriter(c.Syntax)
	w.Raw(handle)
	var towers [][]byte
	status := uint32(epmStatusNotRegistered)
	if asked == m.ifc.UUID && major == m.ifc.Major && maxTowers > 0 {
		towers = append(towers, tcpTower(m.ifc, m.ip, port))
		status = 0
	}
	w.Uint32(uint32(len(towers)))
	w.Count(int(maxTowers))
	w.Count(0)
	w.Count(len(towers))
	for _, t := range towers {
		w.Pointer(true, func(w *ndr.Writer) {
			w.Count(len(t))
			w.Uint32(uint32(len(t)))
			w.Raw(t)
		})
	}
	w.Flush()
	w.Uint32(status)
	return w.Bytes(), w.Err()
}

// srvsvcServer answers NetrServerGetInfo at level 101 and records calls.
type srvsvcServer struct {
	name string

	mu      sync.Mutex
	comment string
	calls   []rpc.Call
	unc     []string
}

func (s *srvsvcServer) setComment(c string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.comment = c
}

func (s *srvsvcServer) all() ([]rpc.Call, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rpc.Call(nil), s.calls...), append([]string(nil), s.unc...)
}

// ServeRPC implements NetrServerGetInfo ([MS-SRVS] 3.1.4.17):
//
//	[in, string, unique] SRVSVC_HANDLE ServerName; [in] DWORD Level;
//	[out, switch_is(Level)] LPSERVER_INFO InfoStruct; NET_API_STATUS
//
// InfoStruct is a non-encapsulated union: the uint32 discriminant, then
// the arm, a unique pointer to SERVER_INFO_101 whose [string] wchar_t*
// members are deferred after the struct.
func (s *srvsvcServer) ServeRPC(ctx context.Context, c *rpc.Call) ([]byte, error) {
	if c.Opnum != srvsvcOpnumGetInfo {
		return nil, &rpc.FaultError{Status: 0x1c010002, DidNotExecute: true}
	}
	r := ndr.NewReader(c.Stub, c.Syntax)
	var unc string
	r.Pointer(func(r *ndr.Reader) { unc = r.WString() })
	r.Flush()
	level := r.Uint32()
	if err := r.Err(); err != nil {
		return nil, err
	}
	cc := *c
	cc.Stub = nil
	s.mu.Lock()
	s.calls = append(s.calls, cc)
	s.unc = append(s.unc, unc)
	comment := s.comment
	s.mu.Unlock()

	w := ndr.NewWriter(c.Syntax)
	w.Uint32(level)
	if level != 101 {
		w.Pointer(false, nil)
		w.Uint32(werrInvalidLevel)
		return w.Bytes(), w.Err()
	}
	w.Pointer(true, func(w *ndr.Writer) {
		w.Uint32(platformIDNT)
		w.Pointer(true, func(w *ndr.Writer) { w.WString(s.name) })
		w.Uint32(10) // version_major
		w.Uint32(0)  // version_minor
		w.Uint32(svTypeServerNT)
		w.Pointer(true, func(w *ndr.Writer) { w.WString(comment) })
	})
	w.Flush()
	w.Uint32(0) // NERR_Success
	return w.Bytes(), w.Err()
}

func serveOn(t *testing.T, s *rpc.Server, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		peertest.Skip(t, "cannot listen on %s (root needed for port 135): %v", addr, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		select {
		case err := <-done:
			if !errors.Is(err, rpc.ErrServerClosed) {
				t.Errorf("Serve %s: %v", addr, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve %s did not return", addr)
		}
	})
	return l
}

type sambaEnv struct {
	epm     *epmMapper
	srv     *srvsvcServer
	privacy int // port of the server requiring privacy
	integ   int // port of the server requiring integrity
	conf    string
	bin     string
}

// startSrvsvc serves srvsvc with the SPNEGO and NTLM acceptors on a
// dynamic port of sambaHost, requiring minLevel.
func startSrvsvc(t *testing.T, h *srvsvcServer, minLevel rpc.AuthLevel) int {
	t.Helper()
	s := rpc.NewServer(&rpc.ServerConfig{
		Acceptors: []rpc.Acceptor{spnego.Acceptor{Config: srvConfig()}, ntlm.Acceptor{Config: srvConfig()}},
		MinLevel:  minLevel,
		Logger:    quiet(),
	})
	if err := s.Register(rpc.Interface{UUID: srvsvcIface.UUID, Major: srvsvcIface.Major, Opnums: srvsvcOpnums, Handler: h}); err != nil {
		t.Fatal(err)
	}
	return serveOn(t, s, net.JoinHostPort(sambaHost, "0")).Addr().(*net.TCPAddr).Port
}

func startSambaEnv(t *testing.T) *sambaEnv {
	t.Helper()
	bin, err := exec.LookPath("rpcclient")
	if err != nil {
		peertest.Skip(t, "rpcclient not installed: apt-get install smbclient")
	}
	if os.Geteuid() != 0 {
		peertest.Skip(t, "rpcclient needs an endpoint mapper on TCP 135: run as root")
	}
	srv := &srvsvcServer{name: ntlmSrvNB, comment: sambaSrvComment}
	env := &sambaEnv{srv: srv, bin: bin,
		privacy: startSrvsvc(t, srv, rpc.AuthLevelPrivacy),
		integ:   startSrvsvc(t, srv, rpc.AuthLevelIntegrity),
	}
	env.epm = &epmMapper{ifc: srvsvcIface, ip: net.ParseIP(sambaHost), port: uint16(env.privacy)}
	es := rpc.NewServer(&rpc.ServerConfig{Logger: quiet()})
	if err := es.Register(rpc.Interface{UUID: epmIface.UUID, Major: epmIface.Major, Opnums: 7, Handler: env.epm,
		MinLevel: rpc.AuthLevelNone}); err != nil {
		t.Fatal(err)
	}
	serveOn(t, es, net.JoinHostPort(sambaHost, "135"))

	dir := t.TempDir()
	env.conf = filepath.Join(dir, "smb.conf")
	// A private configuration: no system smb.conf, no Kerberos, state in dir.
	cfg := fmt.Sprintf("[global]\n\tworkgroup = %s\n\tclient use kerberos = disabled\n"+
		"\tlock directory = %[2]s\n\tstate directory = %[2]s\n\tcache directory = %[2]s\n\tprivate dir = %[2]s\n",
		ntlmDomain, dir)
	if err := os.WriteFile(env.conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return env
}

// run runs rpcclient with the binding options (e.g. "seal,spnego")
// against the server on port.
func (e *sambaEnv) run(t *testing.T, port int, options, user, pass, cmds string) (string, error) {
	t.Helper()
	e.epm.setPort(port)
	ctx, cancel := context.WithTimeout(context.Background(), rpcclientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, "-s", e.conf,
		"ncacn_ip_tcp:"+sambaHost+"["+options+"]",
		"-U", user+"%"+pass, "-W", ntlmDomain, "-c", cmds)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "KRB5_CONFIG=/dev/null")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("rpcclient %s: %v\n%s", options, ctx.Err(), out)
	}
	return string(out), err
}

// TestSambaRpcclient: rpcclient calls NetrServerGetInfo twice on one
// connection (two protected PDUs each way) with SPNEGO and raw NTLM at
// privacy and integrity, and is refused for bad credentials and for
// integrity against a server requiring privacy.
func TestSambaRpcclient(t *testing.T) {
	env := startSambaEnv(t)
	long := strings.Repeat("0123456789abcdef", 400) // 12800-byte UTF-16 string: a fragmented response
	for _, tc := range []struct {
		name, options string
		port          int
		typ           rpc.AuthType
		level         rpc.AuthLevel
		comment       string
	}{
		{"seal,spnego", "seal,spnego", env.privacy, rpc.AuthTypeSPNEGO, rpc.AuthLevelPrivacy, sambaSrvComment},
		{"seal,ntlm", "seal,ntlm", env.privacy, rpc.AuthTypeNTLM, rpc.AuthLevelPrivacy, sambaSrvComment},
		{"sign,spnego", "sign,spnego", env.integ, rpc.AuthTypeSPNEGO, rpc.AuthLevelIntegrity, sambaSrvComment},
		{"sign,ntlm", "sign,ntlm", env.integ, rpc.AuthTypeNTLM, rpc.AuthLevelIntegrity, sambaSrvComment},
		{"seal,spnego/fragmented", "seal,spnego", env.privacy, rpc.AuthTypeSPNEGO, rpc.AuthLevelPrivacy, long},
		{"sign,spnego/fragmented", "sign,spnego", env.integ, rpc.AuthTypeSPNEGO, rpc.AuthLevelIntegrity, long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.srv.setComment(tc.comment)
			defer env.srv.setComment(sambaSrvComment)
			before, _ := env.srv.all()
			out, err := env.run(t, tc.port, tc.options, "alice", alicePass, "srvinfo; srvinfo")
			if err != nil {
				t.Fatalf("rpcclient: %v\n%s", err, out)
			}
			for _, want := range []string{tc.comment, "\t" + ntlmSrvNB + " ", "platform_id     :\t500\n",
				"os version      :\t10.0\n", "server type     :\t0x9003\n"} {
				if n := strings.Count(out, want); n != 2 {
					t.Fatalf("%q printed %d times, want 2:\n%s", want, n, out)
				}
			}
			all, uncs := env.srv.all()
			calls, uncs := all[len(before):], uncs[len(before):]
			if len(calls) != 2 {
				t.Fatalf("handler ran %d times, want 2", len(calls))
			}
			for i, c := range calls {
				if c.Peer.User != "alice" || !strings.EqualFold(c.Peer.Domain, ntlmDomain) || !c.Peer.Admin ||
					c.AuthType != tc.typ || c.AuthLevel != tc.level || c.Security == nil {
					t.Fatalf("call %d: peer %+v type %d level %d", i, c.Peer, c.AuthType, c.AuthLevel)
				}
				if !strings.Contains(uncs[i], sambaHost) {
					t.Errorf("call %d: ServerName %q", i, uncs[i])
				}
			}
			// One connection, one auth context.
			if calls[0].RemoteAddr.String() != calls[1].RemoteAddr.String() || calls[0].AuthContextID != calls[1].AuthContextID {
				t.Errorf("calls from %v/%d and %v/%d, want one connection and context",
					calls[0].RemoteAddr, calls[0].AuthContextID, calls[1].RemoteAddr, calls[1].AuthContextID)
			}
			// Samba sends a verification trailer (bitmask1 and pcontext)
			// on the first request of a connection.
			checkSambaTrailer(t, calls[0])
		})
	}
	for _, bad := range []struct{ name, options, user, pass string }{
		{"wrong-password/spnego", "seal,spnego", "alice", "wrong-password"},
		{"wrong-password/ntlm", "seal,ntlm", "alice", "wrong-password"},
		{"unknown-user/spnego", "seal,spnego", "mallory", alicePass},
		{"integrity-below-privacy/spnego", "sign,spnego", "alice", alicePass},
		{"integrity-below-privacy/ntlm", "sign,ntlm", "alice", alicePass},
	} {
		t.Run(bad.name, func(t *testing.T) {
			before, _ := env.srv.all()
			out, err := env.run(t, env.privacy, bad.options, bad.user, bad.pass, "srvinfo")
			if err == nil || strings.Contains(out, sambaSrvComment) {
				t.Fatalf("refused client succeeded (err %v):\n%s", err, out)
			}
			if !strings.Contains(out, "ACCESS_DENIED") {
				t.Errorf("want an access-denied error:\n%s", out)
			}
			if after, _ := env.srv.all(); len(after) != len(before) {
				t.Fatal("handler ran for a refused client")
			}
		})
	}
	// The server still serves after the refusals.
	if out, err := env.run(t, env.privacy, "seal,spnego", "bob", bobPass, "srvinfo"); err != nil ||
		!strings.Contains(out, sambaSrvComment) {
		t.Fatalf("bob after refusals: %v\n%s", err, out)
	}
	if all, _ := env.srv.all(); all[len(all)-1].Peer.User != "bob" || all[len(all)-1].Peer.Admin {
		t.Fatalf("bob seen as %+v", all[len(all)-1].Peer)
	}
	env.epm.mu.Lock()
	defer env.epm.mu.Unlock()
	if env.epm.requests == 0 {
		t.Error("rpcclient never asked the endpoint mapper")
	}
	for _, g := range env.epm.asked {
		if g != srvsvcIface.UUID {
			t.Errorf("endpoint mapper asked for %v", g)
		}
	}
}

func checkSambaTrailer(t *testing.T, c rpc.Call) {
	t.Helper()
	vt := c.VerificationTrailer
	if vt == nil {
		t.Fatal("no verification trailer on rpcclient's first request")
	}
	var types []uint16
	for _, cmd := range vt.Commands {
		types = append(types, cmd.Type())
		if cmd.Type() == rpc.VTCommandBitmask1 &&
			(len(cmd.Value) != 4 || binary.LittleEndian.Uint32(cmd.Value) != rpc.VTClientSupportsHeaderSigning) {
			t.Errorf("bitmask1 %x", cmd.Value)
		}
		if cmd.Type() == rpc.VTCommandPContext {
			if len(cmd.Value) != 0x28 || !bytes.Equal(cmd.Value[:16], srvsvcIface.UUID[:]) ||
				!bytes.Equal(cmd.Value[20:36], ndr.NDR20UUID[:]) {
				t.Errorf("pcontext %x", cmd.Value)
			}
		}
	}
	if !slices.Contains(types, rpc.VTCommandPContext) || !slices.Contains(types, rpc.VTCommandBitmask1) {
		t.Errorf("verification trailer commands %v", types)
	}
}
