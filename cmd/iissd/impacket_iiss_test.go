package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/ntlm"
)

// HRESULTs the impacket tests expect ([MS-IISS] 3.1.4.1-5; [MS-ERREF] 2.1).
const (
	hrOK                 = 0x00000000
	hrNotImpl            = 0x80004001
	hrInsufficientBuffer = 0x8007007A
	hrAccessDenied       = 0x80070005
	hrUnknownName        = 0x80020006 // DISP_E_UNKNOWNNAME
	hrTypeMismatch       = 0x80020005 // DISP_E_TYPEMISMATCH
	hrBadParamCount      = 0x8002000E // DISP_E_BADPARAMCOUNT
	faultAccessDenied    = 0x00000005 // rpc_s_access_denied
)

// Demo service states as SERVICE_STATUS reports them.
const (
	impStopped = 1
	impRunning = 4
)

func serviceStates(r impacketRec) map[string]uint32 {
	m := map[string]uint32{}
	for _, s := range r.Services {
		m[s.Name] = s.State
	}
	return m
}

// TestImpacketServiceControl drives iissd with an independent DCOM stack:
// impacket activates IIisServiceControl (RemoteCreateInstance at packet
// privacy, then the exporter's string binding) and our script calls every
// method with its own NDR structures, then late-bound through IDispatch.
func TestImpacketServiceControl(t *testing.T) {
	d := impacketDemo(t, 2)
	admin := impacketArgs{User: testAdmin, Password: testAdminPass}

	// Early binding: Status (too small, then enough), Reboot, and Stop.
	recs := runImpacket(t, d, admin, "status:16", "status", "reboot", "names:Stop,START,status,Reboot,kill,Bogus", "stop:20000:1")
	wantOps(t, recs, "activate", "status", "status", "reboot", "names", "names", "names", "names", "names", "names", "stop")
	act, small, st, reboot, names, stop := recs[0], recs[1], recs[2], recs[3], recs[4:10], recs[10]
	wantHR(t, act, hrOK)
	if !strings.Contains(strings.Join(act.Bindings, " "), "[") {
		t.Errorf("exporter bindings %q carry no port", act.Bindings)
	}

	wantHR(t, small, hrInsufficientBuffer)
	if small.Returned != 16 || !small.AllZero || small.NumSvcs != 0 {
		t.Errorf("Status(16): %d bytes (all zero: %v), %d services; want exactly 16 zero bytes and 0", small.Returned, small.AllZero, small.NumSvcs)
	}

	wantHR(t, st, hrOK)
	svcStates := serviceStates(st)
	if svcStates["W3SVC"] != impRunning || svcStates["WAS"] != impRunning || svcStates["FTPSVC"] != impStopped || len(svcStates) != 3 {
		t.Errorf("Status services %+v, want W3SVC and WAS running, FTPSVC stopped", st.Services)
	}
	// required = 36 N + the UTF-16 strings with their NULs ([MS-IISS] 2.2.2).
	want := uint32(36 * len(st.Services))
	for _, s := range st.Services {
		want += uint32(2 * (len(s.Name) + len(s.Display) + 2))
		if s.Type != 0x10 && s.Type != 0x20 {
			t.Errorf("service %s: type %#x", s.Name, s.Type)
		}
	}
	if st.Required != want || small.Required != want || st.NumSvcs != 3 {
		t.Errorf("required %d (from the small call %d), %d services; want %d and 3", st.Required, small.Required, st.NumSvcs, want)
	}

	wantHR(t, reboot, hrNotImpl)

	// Case-insensitive names; an unknown one gets DISPID_UNKNOWN (-1).
	for i, want := range []uint32{0x60020000, 0x60020001, 0x60020003, 0x60020002, 0x60020004, 0xFFFFFFFF} {
		r := names[i]
		if want == 0xFFFFFFFF {
			wantHR(t, r, hrUnknownName)
		} else {
			wantHR(t, r, hrOK)
		}
		if len(r.DispIDs) != 1 || r.DispIDs[0] != want {
			t.Errorf("GetIDsOfNames(%s) = %#x, want %#x", r.Name, r.DispIDs, want)
		}
	}

	wantHR(t, stop, hrOK)
	d.waitSite(t, false)

	// Late binding: IDispatch::Invoke("Start", 20000), then
	// Invoke("Stop", 20000, 1), then Start again and Kill.
	recs = runImpacket(t, d, admin, "status", "invoke:Start:20000", "status", "invoke:Stop:20000:1", "invoke:Status:4096", "invoke:Status:4096:0:0:0")
	wantOps(t, recs, "activate", "status", "invoke", "status", "invoke", "invoke", "invoke")
	if s := serviceStates(recs[1]); s["W3SVC"] != impStopped || s["WAS"] != impStopped {
		t.Errorf("Status after Stop: %+v", recs[1].Services)
	}
	wantHR(t, recs[2], hrOK)
	if s := serviceStates(recs[3]); s["W3SVC"] != impRunning || s["WAS"] != impRunning {
		t.Errorf("Status after Invoke(Start): %+v", recs[3].Services)
	}
	wantHR(t, recs[4], hrOK)
	wantHR(t, recs[5], hrBadParamCount)
	// Status's pbBuffer is no automation type: DISP_E_TYPEMISMATCH, and
	// argErr is pbBuffer's index in the reversed rgvarg: 4-1-1.
	wantHR(t, recs[6], hrTypeMismatch)
	if recs[6].ArgErr != 2 {
		t.Errorf("Invoke(Status, 4 arguments): argErr %d, want 2", recs[6].ArgErr)
	}
	d.waitSite(t, false)

	recs = runImpacket(t, d, impacketArgs{User: testAdmin, NTHash: ntHashHex(testAdminPass)}, "start:20000", "kill")
	wantOps(t, recs, "activate", "start", "kill")
	wantHR(t, recs[1], hrOK)
	wantHR(t, recs[2], hrOK)
	d.waitSite(t, false)

	// iissd audited impacket's calls.
	if logs := d.Logs(); !strings.Contains(logs, "iiss audit") || !strings.Contains(logs, testAdmin) {
		t.Errorf("no audit record of impacket's calls:\n%s", logs)
	}
}

// TestImpacketRefused checks what iissd refuses from impacket: a user who
// is not an administrator, a wrong password, and authentication levels
// below what activation (integrity) and the exporter (privacy) require.
// impacket calls the exporter at the activation reply's authnHint, so an
// activation at integrity still reaches the exporter at privacy; the
// script's --object-level overrides that to check the exporter itself.
func TestImpacketRefused(t *testing.T) {
	d := impacketDemo(t, 3)
	for _, c := range []struct {
		name string
		args impacketArgs
		ops  []string // what the script prints
		hr   uint32   // the last record's HRESULT or fault status
	}{
		{"not admin", impacketArgs{User: testUser, Password: testUserPass}, []string{"activate"}, hrAccessDenied},
		// auth3 has no reply: the first request, the activation, faults.
		{"wrong password", impacketArgs{User: testAdmin, Password: "wrong"}, []string{"activate"}, faultAccessDenied},
		{"connect level", impacketArgs{User: testAdmin, Password: testAdminPass, AuthLevel: "connect"}, []string{"activate"}, hrAccessDenied},
		{"integrity on the exporter", impacketArgs{User: testAdmin, Password: testAdminPass, ObjectLevel: "integrity"}, []string{"activate", "status"}, faultAccessDenied},
		{"integrity raised by authnHint", impacketArgs{User: testAdmin, Password: testAdminPass, AuthLevel: "integrity"}, []string{"activate", "status"}, hrOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			recs := runImpacket(t, d, c.args, "status")
			wantOps(t, recs, c.ops...)
			wantHR(t, recs[len(recs)-1], c.hr)
		})
	}
}

func ntHashHex(password string) string {
	h := ntlm.NTHash(password)
	return fmt.Sprintf("%x", h[:])
}
