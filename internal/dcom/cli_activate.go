package dcom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// activation is what an activator returned for one interface.
type activation struct {
	std       StdObjRef
	oxid      uint64
	bindings  *DualStringArray // exporter bindings, "host[port]"
	remUnk    ndr.GUID
	authnHint uint32
}

// Activate creates an instance of clsid on cfg.Host and returns its iid
// interface ([MS-DCOM] 3.2.4.1.1, 3.2.4.2): RemoteCreateInstance on the
// activator (falling back to IActivation::RemoteActivation when the
// server lacks IRemoteSCMActivator), then a connection to a reachable
// object exporter binding, authenticated with a new security context.
// Activation failures are *ActivationError; faults are *rpc.FaultError.
func Activate(ctx context.Context, cfg ClientConfig, clsid, iid ndr.GUID) (*Interface, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.ClassObject {
		return activateThroughClassObject(ctx, cfg, clsid, iid)
	}
	return activateInterface(ctx, cfg, clsid, iid, false)
}

// activateInterface activates clsid (or its class object) and opens iid
// on a new session with its object exporter.
func activateInterface(ctx context.Context, cfg ClientConfig, clsid, iid ndr.GUID, classObject bool) (*Interface, error) {
	act, err := activateOn(ctx, cfg, clsid, iid, classObject)
	if err != nil {
		return nil, err
	}
	conn, err := dialExporter(ctx, cfg, act.bindings)
	if err != nil {
		return nil, err
	}
	s := newSession(cfg, conn, act)
	itf, err := s.open(ctx, iid, act.std)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return itf, nil
}

func activateOn(ctx context.Context, cfg ClientConfig, clsid, iid ndr.GUID, classObject bool) (*activation, error) {
	if !cfg.RemoteActivation {
		a, err := scmActivate(ctx, cfg, clsid, iid, classObject)
		if !unsupported(err) {
			return a, err
		}
	}
	return remoteActivation(ctx, cfg, clsid, iid, classObject)
}

// unsupported reports an error meaning the server lacks the interface or
// method, so that an older activation interface should be tried.
func unsupported(err error) bool {
	var f *rpc.FaultError
	var rej *rpc.ContextRejectedError
	if errors.As(err, &f) {
		return f.Status == rpc.StatusUnknownInterface || f.Status == rpc.StatusOpRangeError
	}
	return errors.As(err, &rej)
}

// activatorAddr is the activator's TCP address.
func (c *ClientConfig) activatorAddr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// dialActivator connects to the activator and binds iface at cfg.Level
// with a new security context.
func dialActivator(ctx context.Context, cfg ClientConfig, iface ndr.GUID) (*rpc.Conn, *rpc.PresContext, error) {
	conn, err := cfg.dial(ctx, cfg.activatorAddr())
	if err != nil {
		return nil, nil, err
	}
	pc, err := conn.Bind(ctx, rpc.SyntaxID{UUID: iface}, &rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: cfg.Auth, Level: cfg.Level}})
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, pc, nil
}

// invoke marshals q, calls opnum and unmarshals the response into p.
func invoke(ctx context.Context, conn *rpc.Conn, pc *rpc.PresContext, opnum uint16, object *ndr.GUID, q ndr.Marshaler, p ndr.Unmarshaler) error {
	w := ndr.NewWriter(pc.Syntax)
	w.Marshal(q)
	if err := w.Err(); err != nil {
		return err
	}
	out, err := conn.Call(ctx, pc, opnum, object, w.Bytes())
	if err != nil {
		return err
	}
	r := ndr.NewReader(out, pc.Syntax)
	r.Unmarshal(p)
	return r.Err()
}

// scmActivate is IRemoteSCMActivator::RemoteCreateInstance ([MS-DCOM]
// 3.1.2.5.2.3.3) or, for a class object, RemoteGetClassObject
// (3.1.2.5.2.3.2): the same properties, a different opnum.
func scmActivate(ctx context.Context, cfg ClientConfig, clsid, iid ndr.GUID, classObject bool) (*activation, error) {
	conn, pc, err := dialActivator(ctx, cfg, IID_IRemoteSCMActivator)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	mip, err := BuildActivationIn(clsid, []ndr.GUID{iid}, ActivationInOptions{ContextID: newORPCThis().CID, ServerName: cfg.Host}).MInterfacePointer()
	if err != nil {
		return nil, err
	}
	var q ndr.Marshaler = &RemoteCreateInstanceRequest{ORPCThis: newORPCThis(), ActProperties: mip}
	opnum, op := uint16(opRemoteCreateInstance), "RemoteCreateInstance"
	if classObject {
		q = &RemoteGetClassObjectRequest{ORPCThis: newORPCThis(), ActProperties: mip}
		opnum, op = opRemoteGetClassObject, "RemoteGetClassObject"
	}
	var p ActivationResponse
	if err := invoke(ctx, conn, pc, opnum, nil, q, &p); err != nil {
		return nil, err
	}
	if p.Result.Failed() {
		return nil, &ActivationError{Op: op, HR: p.Result}
	}
	out, err := ParseActivationOut(p.ActProperties)
	if err != nil {
		return nil, err
	}
	ifs := out.Interfaces()
	if len(ifs) != 1 || ifs[0].IID != iid {
		return nil, fmt.Errorf("dcom: %s: %d interfaces returned for 1 requested", op, len(ifs))
	}
	if ifs[0].Result.Failed() {
		return nil, &ActivationError{Op: op, HR: ifs[0].Result}
	}
	r := out.ScmReply.RemoteReply
	return newActivation(ifs[0].Ptr, r.OXID, r.OxidBindings, r.IPIDRemUnknown, r.AuthnHint)
}

// remoteActivation is IActivation::RemoteActivation ([MS-DCOM]
// 3.1.2.5.2.3.1), in MODE_GET_CLASS_OBJECT for a class object.
func remoteActivation(ctx context.Context, cfg ClientConfig, clsid, iid ndr.GUID, classObject bool) (*activation, error) {
	conn, pc, err := dialActivator(ctx, cfg, IID_IActivation)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	q := &RemoteActivationRequest{ORPCThis: newORPCThis(), CLSID: clsid, ClientImpLevel: 2,
		IIDs: []ndr.GUID{iid}, RequestedProtseqs: []uint16{TowerNCACNIPTCP}}
	if classObject {
		q.Mode = ModeGetClassObject
	}
	var p RemoteActivationResponse
	if err := invoke(ctx, conn, pc, opRemoteActivation, nil, q, &p); err != nil {
		return nil, err
	}
	const op = "RemoteActivation"
	switch {
	case p.Status != 0:
		return nil, &rpc.FaultError{Status: p.Status}
	case p.HR.Failed():
		return nil, &ActivationError{Op: op, HR: p.HR}
	case len(p.Results) != 1:
		return nil, fmt.Errorf("dcom: %s: %d results for 1 interface", op, len(p.Results))
	case p.Results[0].Failed():
		return nil, &ActivationError{Op: op, HR: p.Results[0]}
	case p.InterfaceData[0] == nil || p.OxidBindings == nil:
		return nil, fmt.Errorf("dcom: %s: no interface pointer or bindings", op)
	}
	return newActivation(p.InterfaceData[0], p.OXID, p.OxidBindings, p.IPIDRemUnknown, p.AuthnHint)
}

func newActivation(m *MInterfacePointer, oxid uint64, b *DualStringArray, remUnk ndr.GUID, hint uint32) (*activation, error) {
	ref, err := m.ObjRef()
	if err != nil {
		return nil, err
	}
	if ref.Flags != ObjRefStandard && ref.Flags != ObjRefHandler && ref.Flags != ObjRefExtended {
		return nil, fmt.Errorf("dcom: activation returned OBJREF flags %#x, want a standard reference", ref.Flags)
	}
	if ref.Std.OXID != oxid {
		return nil, fmt.Errorf("dcom: OBJREF OXID %#x differs from the activation's %#x", ref.Std.OXID, oxid)
	}
	return &activation{std: ref.Std, oxid: oxid, bindings: b, remUnk: remUnk, authnHint: hint}, nil
}
