package main

import (
	"testing"
)

// TestImpacketClassObject: impacket as an independent client on the road
// of CoGetClassObject: RemoteGetClassObject for IClassFactory at packet
// privacy, RemQueryInterface for IClassFactory2 (E_NOINTERFACE), then
// IClassFactory::CreateInstance for IIisServiceControl (Status, Stop,
// Status) and for IDispatch (Start through GetIDsOfNames + Invoke), the
// class object released in between.
func TestImpacketClassObject(t *testing.T) {
	d := impacketDemo(t, 7)
	waitStates(t, d, map[string]string{"WAS": "Running", "W3SVC": "Running"})
	recs := runImpacket(t, d, impacketArgs{User: testAdmin, Password: testAdminPass, Activation: "classobject"},
		"status", "stop:20000:0", "status", "invoke:Start:20000")
	wantOps(t, recs, "activate", "qi_classfactory2", "create", "create", "release_factory", "status", "stop", "status", "invoke")
	wantHR(t, recs[0], hrOK)
	wantHR(t, recs[1], 0x80004002) // E_NOINTERFACE
	for _, r := range recs[2:5] {
		wantHR(t, r, hrOK)
	}
	if recs[2].Name != "IIisServiceControl" || recs[3].Name != "IDispatch" || recs[2].IPID == recs[3].IPID || recs[2].IPID == recs[0].IPID {
		t.Errorf("CreateInstance records %v %v (class object %s)", recs[2], recs[3], recs[0].IPID)
	}
	before, stop, after, start := recs[5], recs[6], recs[7], recs[8]
	wantHR(t, before, hrOK)
	if s := serviceStates(before); s["W3SVC"] != impRunning || s["WAS"] != impRunning {
		t.Errorf("Status before Stop: %+v", before.Services)
	}
	wantHR(t, stop, hrOK)
	wantHR(t, after, hrOK)
	if s := serviceStates(after); s["W3SVC"] != impStopped || s["WAS"] != impStopped {
		t.Errorf("Status after Stop: %+v", after.Services)
	}
	wantHR(t, start, hrOK)
	waitStates(t, d, map[string]string{"WAS": "Running", "W3SVC": "Running"})
}
