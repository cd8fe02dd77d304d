package dcom

import (
	"context"
	"fmt"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// Activator opnums ([MS-DCOM] 3.1.2.5.2.3).
const (
	opRemoteActivation     = 0 // IActivation
	opRemoteGetClassObject = 3 // IRemoteSCMActivator
	opRemoteCreateInstance = 4
)

var errOpRange = &rpc.FaultError{Status: rpc.StatusOpRangeError, DidNotExecute: true}

// serveSCM is IRemoteSCMActivator ([MS-DCOM] 3.1.2.5.2.3.2-3). Opnums
// 0-2 are not on the wire.
func (s *Server) serveSCM(ctx context.Context, c *rpc.Call) ([]byte, error) {
	r := ndr.NewReader(c.Stub, c.Syntax)
	var props *MInterfacePointer
	var this ORPCThis
	switch c.Opnum {
	case opRemoteGetClassObject:
		var q RemoteGetClassObjectRequest
		r.Unmarshal(&q)
		props, this = q.ActProperties, q.ORPCThis
	case opRemoteCreateInstance:
		var q RemoteCreateInstanceRequest
		r.Unmarshal(&q)
		props, this = q.ActProperties, q.ORPCThis
	default:
		return nil, errOpRange
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	p := &ActivationResponse{Result: checkClientVersion(this.Version)}
	if !p.Result.Failed() {
		p.ActProperties, p.Result = s.createInstance(ctx, c, props, c.Opnum == opRemoteGetClassObject)
	}
	w := ndr.NewWriter(c.Syntax)
	w.Marshal(p)
	return w.Bytes(), w.Err()
}

// checkClientVersion is capability negotiation on the activators
// ([MS-DCOM] 3.1.2.5.2.3, 1.7): a different major version or a higher
// minor version than ours gets RPC_E_VERSION_MISMATCH.
func checkClientVersion(v COMVersion) HRESULT {
	if v.Major != COMVersionMajor || v.Minor > COMVersionMinor {
		return RPC_E_VERSION_MISMATCH
	}
	return S_OK
}

// createInstance runs RemoteCreateInstance, or RemoteGetClassObject
// (classObject: the requested interfaces are the class object's), and
// builds the ActivationPropertiesOut BLOB.
func (s *Server) createInstance(ctx context.Context, c *rpc.Call, props *MInterfacePointer, classObject bool) (*MInterfacePointer, HRESULT) {
	in, err := ParseActivationIn(props)
	if err != nil {
		s.log.Warn("dcom: bad activation properties", "caller", c.Peer.String(), "addr", c.RemoteAddr, "err", err)
		return nil, E_INVALIDARG
	}
	if in.ScmRequest == nil || in.Location == nil {
		// Required properties ([MS-DCOM] 3.1.2.5.2.3.2-3).
		s.log.Warn("dcom: activation properties without ScmRequestInfo or LocationInfo", "caller", c.Peer.String(), "addr", c.RemoteAddr)
		return nil, E_INVALIDARG
	}
	if ps := in.Protseqs(); len(ps) > 0 && !hasTCP(ps) {
		return nil, E_INVALIDARG
	}
	res, hr := s.activate(ctx, c, in.Instantiation.ClassID, in.Instantiation.IIDs, classObject, func() (HRESULT, string) { return scmChecks(in) })
	if hr.Failed() {
		return nil, hr
	}
	reply := RemoteReplySCMInfo{OXID: s.tab.oxid, OxidBindings: s.exporterBindings(c.LocalAddr),
		IPIDRemUnknown: s.tab.remUnk, AuthnHint: s.authnHint(), ServerVersion: serverVersion}
	m, err := NewActivationOut(reply, res).MInterfacePointer()
	if err != nil {
		s.log.Error("dcom: encoding activation result", "err", err)
		return nil, E_FAIL
	}
	return m, hr
}

func hasTCP(ps []uint16) bool {
	for _, p := range ps {
		if p == TowerNCACNIPTCP {
			return true
		}
	}
	return false
}

// serveActivation is IActivation::RemoteActivation ([MS-DCOM]
// 3.1.2.5.2.3.1), for clients older than COM 5.6.
func (s *Server) serveActivation(ctx context.Context, c *rpc.Call) ([]byte, error) {
	if c.Opnum != opRemoteActivation {
		return nil, errOpRange
	}
	var q RemoteActivationRequest
	r := ndr.NewReader(c.Stub, c.Syntax)
	r.Unmarshal(&q)
	if err := r.Err(); err != nil {
		return nil, err
	}
	hr := checkClientVersion(q.ORPCThis.Version)
	var ifs []ActivatedInterface
	switch {
	case hr.Failed():
	case len(q.RequestedProtseqs) > 0 && !hasTCP(q.RequestedProtseqs):
		hr = E_INVALIDARG
	case q.Mode != 0 && q.Mode != ModeGetClassObject && q.ObjectName == nil:
		// Mode MUST be 0 or MODE_GET_CLASS_OBJECT unless an object name
		// is given ([MS-DCOM] 3.1.2.5.2.3.1).
		hr = E_INVALIDARG
	default:
		ifs, hr = s.activate(ctx, c, q.CLSID, q.IIDs, q.Mode == ModeGetClassObject, nil)
	}
	p := s.remoteActivationResponse(c, len(q.IIDs), ifs, hr)
	w := ndr.NewWriter(c.Syntax)
	w.Marshal(p)
	return w.Bytes(), w.Err()
}

// remoteActivationResponse builds RemoteActivation's [out] parameters: on
// failure pResults MUST be all 0x00000000, with NULL pointers and
// bindings ([MS-DCOM] 3.1.2.5.2.3.1).
func (s *Server) remoteActivationResponse(c *rpc.Call, n int, ifs []ActivatedInterface, hr HRESULT) *RemoteActivationResponse {
	p := &RemoteActivationResponse{ServerVersion: serverVersion, HR: hr,
		InterfaceData: make([]*MInterfacePointer, n), Results: make([]HRESULT, n)}
	for i := range p.Results {
		if !hr.Failed() {
			p.Results[i], p.InterfaceData[i] = ifs[i].Result, ifs[i].Ptr
		}
	}
	if !hr.Failed() {
		p.OXID, p.OxidBindings = s.tab.oxid, s.exporterBindings(c.LocalAddr)
		p.IPIDRemUnknown, p.AuthnHint = s.tab.remUnk, s.authnHint()
	}
	return p
}

// activate applies the rules of [MS-DCOM] 3.1.2.5.2.3 (and <81>,
// Windows' KB5004442 hardening): the caller must be authenticated at PKT_INTEGRITY or above and
// authorized for the class (administrators by default); the class must be
// registered; at least one requested interface must be supported. Every
// denial is logged with the caller, and nothing is created. With
// getClassObject the object created is the class's class object
// (RemoteGetClassObject, RemoteActivation in MODE_GET_CLASS_OBJECT).
// checks, when set, runs after authorization and before creation.
func (s *Server) activate(ctx context.Context, c *rpc.Call, clsid ndr.GUID, iids []ndr.GUID, getClassObject bool, checks func() (HRESULT, string)) ([]ActivatedInterface, HRESULT) {
	caller := callerOf(c)
	deny := func(hr HRESULT, why string) ([]ActivatedInterface, HRESULT) {
		s.log.Warn("dcom: activation denied", "reason", why, "hresult", fmt.Sprintf("0x%08X", uint32(hr)),
			"caller", c.Peer.String(), "addr", c.RemoteAddr, "level", c.AuthLevel, "clsid", clsid.String())
		s.refused(c, "activation denied: "+why)
		return nil, hr
	}
	if c.AuthLevel < rpc.AuthLevelIntegrity || !c.Peer.Authenticated() {
		return deny(E_ACCESSDENIED, "authentication level below packet integrity")
	}
	class := s.class(clsid)
	if class == nil {
		if !c.Peer.Admin {
			return deny(E_ACCESSDENIED, "not an administrator")
		}
		return deny(REGDB_E_CLASSNOTREG, "class not registered")
	}
	if err := authorize(class, caller); err != nil {
		return deny(E_ACCESSDENIED, err.Error())
	}
	if checks != nil {
		if hr, why := checks(); hr.Failed() {
			return deny(hr, why)
		}
	}
	target := class
	if getClassObject {
		target = factoryClass(class)
	}
	ok := supported(target, iids)
	if len(ok) == 0 {
		return deny(E_NOINTERFACE, "no requested interface is supported")
	}
	if getClassObject {
		oid, ipids := s.tab.export(&classObject{s: s, class: class}, target, ok, activationRefs)
		s.log.Debug("dcom: class object activated", "class", class.Name, "caller", c.Peer.String(), "addr", c.RemoteAddr)
		return s.activated(c, iids, oid, ok, ipids), S_OK
	}
	obj, err := class.New(ctx, caller)
	if err != nil {
		hr := E_FAIL
		if h, isHR := err.(HRESULT); isHR && h.Failed() {
			hr = h
		}
		return deny(hr, "instance creation failed: "+err.Error())
	}
	oid, ipids := s.tab.export(obj, class, ok, activationRefs)
	s.log.Debug("dcom: activated", "class", class.Name, "caller", c.Peer.String(), "addr", c.RemoteAddr)
	return s.activated(c, iids, oid, ok, ipids), S_OK
}

// activationRefs is the number of public references each activated
// interface pointer carries ([MS-DCOM] 2.2.18.2).
const activationRefs = 1

func authorize(class *Class, caller Caller) error {
	if class.Authorize != nil {
		return class.Authorize(caller)
	}
	if !caller.Peer.Admin {
		return fmt.Errorf("%s is not an administrator", caller.Peer)
	}
	return nil
}

// supported returns the requested IIDs class implements, without duplicates.
func supported(class *Class, iids []ndr.GUID) []ndr.GUID {
	var ok []ndr.GUID
	for _, iid := range iids {
		if implements(class, iid) && !containsGUID(ok, iid) {
			ok = append(ok, iid)
		}
	}
	return ok
}

// activated builds the per-IID results: an OBJREF_STANDARD for each
// supported IID, E_NOINTERFACE otherwise ([MS-DCOM] 2.2.22.2.9).
func (s *Server) activated(c *rpc.Call, iids []ndr.GUID, oid uint64, ok, ipids []ndr.GUID) []ActivatedInterface {
	out := make([]ActivatedInterface, len(iids))
	for i, iid := range iids {
		out[i] = ActivatedInterface{IID: iid, Result: E_NOINTERFACE}
		for j, x := range ok {
			if x == iid {
				out[i].Result, out[i].Ptr = S_OK, s.objref(c, iid, oid, ipids[j], activationRefs)
			}
		}
	}
	return out
}

// objref marshals an interface pointer as OBJREF_STANDARD ([MS-DCOM] 2.2.18.4).
func (s *Server) objref(c *rpc.Call, iid ndr.GUID, oid uint64, ipid ndr.GUID, refs uint32) *MInterfacePointer {
	std := StdObjRef{CPublicRefs: refs, OXID: s.tab.oxid, OID: oid, IPID: ipid}
	return NewMInterfacePointer(NewStandardObjRef(iid, std, *s.resolverBindings(c.LocalAddr)))
}
