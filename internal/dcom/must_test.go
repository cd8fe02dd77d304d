package dcom

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// The MUST table of [MS-DCOM] 3.1.2.5.2.3 and the sections it leans on
// (1.7 capability negotiation, 2.2.13 ORPCTHIS/ORPCTHAT, 2.2.22 activation
// properties, 3.1.2.5.2.1-3 the three activators): one row per MUST the
// activators, the resolver and the exporter have to hold, each with a
// check against a live server that fails when the MUST does not hold.
// MUSTs on the client are checked on our client where they apply.

type mustRow struct {
	sec, text string
	check     func(ctx context.Context, f *fixture) error
}

// scm runs an IRemoteSCMActivator opnum (3 or 4) as user with the
// properties in, after mod edits the request.
func scm(ctx context.Context, f *fixture, user string, opnum uint16, in *ActivationIn, mod func(*ORPCThis)) (*ActivationResponse, error) {
	cfg, err := f.clientConfig(user, false).withDefaults()
	if err != nil {
		return nil, err
	}
	conn, pc, err := dialActivator(ctx, cfg, IID_IRemoteSCMActivator)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	mip, err := in.MInterfacePointer()
	if err != nil {
		return nil, err
	}
	this := newORPCThis()
	if mod != nil {
		mod(&this)
	}
	var q ndr.Marshaler = &RemoteCreateInstanceRequest{ORPCThis: this, ActProperties: mip}
	if opnum == opRemoteGetClassObject {
		q = &RemoteGetClassObjectRequest{ORPCThis: this, ActProperties: mip}
	}
	var p ActivationResponse
	if err := invoke(ctx, conn, pc, opnum, nil, q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// echoIn is what our client sends for IEcho; mod edits it.
func echoIn(mod func(*ActivationIn)) *ActivationIn {
	a := BuildActivationIn(CLSID_Echo, []ndr.GUID{IID_IEcho}, ActivationInOptions{ContextID: newORPCThis().CID, ServerName: "127.0.0.1"})
	if mod != nil {
		mod(a)
	}
	return a
}

// legacy runs IActivation::RemoteActivation as user.
func legacy(ctx context.Context, f *fixture, user string, mod func(*RemoteActivationRequest)) (*RemoteActivationResponse, error) {
	cfg, err := f.clientConfig(user, false).withDefaults()
	if err != nil {
		return nil, err
	}
	conn, pc, err := dialActivator(ctx, cfg, IID_IActivation)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	q := &RemoteActivationRequest{ORPCThis: newORPCThis(), CLSID: CLSID_Echo, ClientImpLevel: 2,
		IIDs: []ndr.GUID{IID_IEcho}, RequestedProtseqs: []uint16{TowerNCACNIPTCP}}
	if mod != nil {
		mod(q)
	}
	var p RemoteActivationResponse
	if err := invoke(ctx, conn, pc, opRemoteActivation, nil, q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// allThree runs the same expectation on the three activators.
func allThree(ctx context.Context, f *fixture, user string, want HRESULT, in func(*ActivationIn), this func(*ORPCThis), leg func(*RemoteActivationRequest)) error {
	for _, op := range []uint16{opRemoteGetClassObject, opRemoteCreateInstance} {
		a := echoIn(in)
		if op == opRemoteGetClassObject {
			a.Instantiation.IIDs = []ndr.GUID{IID_IClassFactory}
		}
		p, err := scm(ctx, f, user, op, a, this)
		if err != nil {
			return fmt.Errorf("opnum %d: %w", op, err)
		}
		if p.Result != want || (want.Failed() && p.ActProperties != nil) {
			return fmt.Errorf("opnum %d: %v (properties %v), want %v", op, p.Result, p.ActProperties != nil, want)
		}
	}
	if leg == nil {
		return nil
	}
	p, err := legacy(ctx, f, user, leg)
	if err != nil {
		return fmt.Errorf("RemoteActivation: %w", err)
	}
	if p.HR != want {
		return fmt.Errorf("RemoteActivation: %v, want %v", p.HR, want)
	}
	return nil
}

func wantResult(p *ActivationResponse, err error, want HRESULT) error {
	if err != nil {
		return err
	}
	if p.Result != want {
		return fmt.Errorf("result %v, want %v", p.Result, want)
	}
	return nil
}

// objectCall makes an IEcho::Echo call on a fresh activation with the
// ORPCTHIS edited by mod, at the exporter's RPC layer.
func objectCall(ctx context.Context, f *fixture, mod func(*ORPCThis)) error {
	itf, err := Activate(ctx, f.clientConfig(testUser, false), CLSID_Echo, IID_IEcho)
	if err != nil {
		return err
	}
	defer itf.Close()
	w := ndr.NewWriter(itf.pc.Syntax)
	this := newORPCThis()
	mod(&this)
	w.Marshal(&this)
	w.Uint32(41)
	ipid := itf.IPID()
	_, err = itf.s.conn.Call(ctx, itf.pc, 3, &ipid, w.Bytes())
	return err
}

func faultIs(err error, status uint32) error {
	var fe *rpc.FaultError
	if !errors.As(err, &fe) || fe.Status != status {
		return fmt.Errorf("got %v, want fault 0x%08X", err, status)
	}
	return nil
}

// ndr64Only binds iface on addr offering NDR64 alone.
func ndr64Only(ctx context.Context, f *fixture, addr string, iface ndr.GUID) error {
	cfg, _ := f.clientConfig(testUser, false).withDefaults()
	conn, err := rpc.Dial(ctx, addr, nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Bind(ctx, rpc.SyntaxID{UUID: iface}, &rpc.BindOptions{Syntaxes: []ndr.Syntax{ndr.NDR64},
		Auth: &rpc.AuthOptions{Initiator: cfg.Auth, Level: rpc.AuthLevelPrivacy}})
	var rej *rpc.ContextRejectedError
	if !errors.As(err, &rej) || rej.Result != rpc.ResultProviderRejection || rej.Reason != rpc.ReasonTransferSyntaxesNS {
		return fmt.Errorf("NDR64-only bind of %s: %v, want provider rejection (transfer syntaxes not supported)", iface, err)
	}
	return nil
}

var mustDCOM = []mustRow{
	{"3.1.2.5.2.3", "permissions do not allow the client: MUST return E_ACCESSDENIED (all three activators)",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, plainUser, E_ACCESSDENIED, nil, nil, func(*RemoteActivationRequest) {})
		}},
	{"3.1.2.5.2.3, 1.7", "a higher client minor version: MUST return RPC_E_VERSION_MISMATCH",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, RPC_E_VERSION_MISMATCH, nil, func(o *ORPCThis) { o.Version.Minor = COMVersionMinor + 1 },
				func(q *RemoteActivationRequest) { q.ORPCThis.Version.Minor = COMVersionMinor + 1 })
		}},
	{"3.1.2.5.2.3, 1.7", "a different major version: MUST return RPC_E_VERSION_MISMATCH",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, RPC_E_VERSION_MISMATCH, nil, func(o *ORPCThis) { o.Version.Major = 4 },
				func(q *RemoteActivationRequest) { q.ORPCThis.Version.Major = 6 })
		}},
	{"3.1.2.5.2.3", "MUST look up the CLSID entry: an unknown class is REGDB_E_CLASSNOTREG and creates nothing",
		func(ctx context.Context, f *fixture) error {
			other := ndr.MustGUID("6b1c2a6e-1111-4d2e-9a55-0123456789ab")
			if err := allThree(ctx, f, testUser, REGDB_E_CLASSNOTREG, func(a *ActivationIn) { a.Instantiation.ClassID = other }, nil,
				func(q *RemoteActivationRequest) { q.CLSID = other }); err != nil {
				return err
			}
			if n := f.srv.tab.count(); n != 0 {
				return fmt.Errorf("%d objects created", n)
			}
			return nil
		}},
	{"3.1.2.5.2.3", "MUST return an array of object references, one for each IID",
		func(ctx context.Context, f *fixture) error {
			p, err := scm(ctx, f, testUser, opRemoteCreateInstance, echoIn(func(a *ActivationIn) {
				a.Instantiation.IIDs = []ndr.GUID{IID_Other, IID_IEcho, IID_IUnknown}
			}), nil)
			if err := wantResult(p, err, S_OK); err != nil {
				return err
			}
			out, err := ParseActivationOut(p.ActProperties)
			if err != nil {
				return err
			}
			ifs := out.Interfaces()
			if len(ifs) != 3 || ifs[0].Result != E_NOINTERFACE || ifs[0].Ptr != nil || ifs[1].Result != S_OK || ifs[1].Ptr == nil || ifs[2].Result != S_OK {
				return fmt.Errorf("results %+v", ifs)
			}
			return nil
		}},
	{"3.1.2.5.2.3", "MUST return the IPID of IRemUnknown, the exporter's COMVERSION and its RPC bindings",
		func(ctx context.Context, f *fixture) error {
			p, err := scm(ctx, f, testUser, opRemoteCreateInstance, echoIn(nil), nil)
			if err := wantResult(p, err, S_OK); err != nil {
				return err
			}
			out, err := ParseActivationOut(p.ActProperties)
			if err != nil {
				return err
			}
			r := out.ScmReply.RemoteReply
			port := strconv.Itoa(f.srv.exporterPort())
			if r.IPIDRemUnknown != f.srv.tab.remUnk || r.ServerVersion != serverVersion || r.OxidBindings == nil ||
				len(r.OxidBindings.StringBindings) == 0 || !strings.HasSuffix(r.OxidBindings.StringBindings[0].NetworkAddr, "["+port+"]") {
				return fmt.Errorf("reply %+v", r)
			}
			return nil
		}},
	{"3.1.2.5.2.3", "dwSessionID neither 0xFFFFFFFF nor achievable: MUST return CO_E_RUNAS_LOGON_FAILURE",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, CO_E_RUNAS_LOGON_FAILURE, func(a *ActivationIn) { a.Special.SessionID = 1 }, nil, nil)
		}},
	{"3.1.2.5.2.3", "SPD_FLAG_USE_CONSOLE_SESSION not achievable: MUST return CO_E_RUNAS_LOGON_FAILURE",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, CO_E_RUNAS_LOGON_FAILURE, func(a *ActivationIn) { a.Special.Flags |= SPDFlagUseConsoleSession }, nil, nil)
		}},
	{"3.1.2.5.2.3", "ACTVFLAGS_DISABLE_AAA: E_ACCESSDENIED only for an exporter running as the client (ours never does)",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, S_OK, func(a *ActivationIn) { a.Instantiation.ActvFlags |= ActvFlagsDisableAAA }, nil, nil)
		}},
	{"3.1.2.5.2.3", "ACTVFLAGS_ACTIVATE_32_BIT_SERVER that cannot be met: MUST return REGDB_E_CLASSNOTREG",
		func(ctx context.Context, f *fixture) error {
			want := REGDB_E_CLASSNOTREG
			if strconv.IntSize == 32 {
				want = S_OK
			}
			return allThree(ctx, f, testUser, want, func(a *ActivationIn) { a.Instantiation.ActvFlags |= ActvFlagsActivate32BitServer }, nil, nil)
		}},
	{"3.1.2.5.2.3", "ACTVFLAGS_ACTIVATE_64_BIT_SERVER: REGDB_E_CLASSNOTREG only when it cannot be met",
		func(ctx context.Context, f *fixture) error {
			want := S_OK
			if strconv.IntSize != 64 {
				want = REGDB_E_CLASSNOTREG
			}
			return allThree(ctx, f, testUser, want, func(a *ActivationIn) { a.Instantiation.ActvFlags |= ActvFlagsActivate64BitServer }, nil, nil)
		}},
	{"3.1.2.5.2.3", "client context with dwNumExtents or cbExtents not 0: MUST return RPC_E_INVALID_OBJREF",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, RPC_E_INVALID_OBJREF, func(a *ActivationIn) {
				c := NewClientContext(newORPCThis().CID)
				c.NumExtents = 1
				a.Context.ClientCtx = NewMInterfacePointer(c.ObjRef())
			}, nil, nil)
		}},
	{"3.1.2.5.2.3", "prototype context with extents: MUST return RPC_E_INVALID_OBJREF",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, RPC_E_INVALID_OBJREF, func(a *ActivationIn) {
				c := NewClientContext(newORPCThis().CID)
				c.CbExtents = 8
				a.Context.PrototypeCtx = NewMInterfacePointer(c.ObjRef())
			}, nil, nil)
		}},
	{"3.1.2.5.2.3.2-3", "pActProperties MUST be an OBJREF_CUSTOM of CLSID_ActivationPropertiesIn: anything else is refused",
		func(ctx context.Context, f *fixture) error {
			cfg, _ := f.clientConfig(testUser, false).withDefaults()
			conn, pc, err := dialActivator(ctx, cfg, IID_IRemoteSCMActivator)
			if err != nil {
				return err
			}
			defer conn.Close()
			b, _ := echoIn(nil).Blob()
			q := &RemoteCreateInstanceRequest{ORPCThis: newORPCThis(), ActProperties: wrapBlob(IID_IActivationPropertiesIn, CLSID_ActivationPropertiesOut, b)}
			var p ActivationResponse
			if err := invoke(ctx, conn, pc, opRemoteCreateInstance, nil, q, &p); err != nil {
				return err
			}
			return wantResult(&p, nil, E_INVALIDARG)
		}},
	{"3.1.2.5.2.3.2-3", "the BLOB MUST contain ScmRequestInfoData: refused without it",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, E_INVALIDARG, func(a *ActivationIn) { a.ScmRequest = nil }, nil, nil)
		}},
	{"3.1.2.5.2.3.2-3", "the BLOB MUST contain LocationInfoData: refused without it",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, E_INVALIDARG, func(a *ActivationIn) { a.Location = nil }, nil, nil)
		}},
	{"3.1.2.5.2.3.2-3", "ppActProperties MUST be an OBJREF_CUSTOM of CLSID_ActivationPropertiesOut, iid IID_IActivationPropertiesOut, with ScmReplyInfoData and PropsOutInfo",
		func(ctx context.Context, f *fixture) error {
			for _, op := range []uint16{opRemoteGetClassObject, opRemoteCreateInstance} {
				a := echoIn(nil)
				if op == opRemoteGetClassObject {
					a.Instantiation.IIDs = []ndr.GUID{IID_IClassFactory}
				}
				p, err := scm(ctx, f, testUser, op, a, nil)
				if err := wantResult(p, err, S_OK); err != nil {
					return err
				}
				o, err := p.ActProperties.ObjRef()
				if err != nil || o.Flags != ObjRefCustom || o.CLSID != CLSID_ActivationPropertiesOut || o.IID != IID_IActivationPropertiesOut {
					return fmt.Errorf("opnum %d: OBJREF %+v %v", op, o, err)
				}
				if _, err := ParseActivationOut(p.ActProperties); err != nil {
					return err
				}
			}
			return nil
		}},
	{"3.1.2.5.2.3.2-3, 3.1.2.5.2.3.1", "orpcthat: the extensions field MUST be NULL",
		func(ctx context.Context, f *fixture) error {
			p, err := scm(ctx, f, testUser, opRemoteCreateInstance, echoIn(nil), nil)
			if err != nil {
				return err
			}
			q, err := legacy(ctx, f, testUser, nil)
			if err != nil {
				return err
			}
			if p.ORPCThat.Extensions != nil || q.ORPCThat.Extensions != nil {
				return errors.New("ORPCTHAT with extensions")
			}
			return nil
		}},
	{"3.1.2.5.2.3.3", "pUnkOuter MUST be ignored by the recipient",
		func(ctx context.Context, f *fixture) error {
			cfg, _ := f.clientConfig(testUser, false).withDefaults()
			conn, pc, err := dialActivator(ctx, cfg, IID_IRemoteSCMActivator)
			if err != nil {
				return err
			}
			defer conn.Close()
			mip, _ := echoIn(nil).MInterfacePointer()
			q := &RemoteCreateInstanceRequest{ORPCThis: newORPCThis(), UnkOuter: NewMInterfacePointer(NewClientContext(newORPCThis().CID).ObjRef()), ActProperties: mip}
			var p ActivationResponse
			if err := invoke(ctx, conn, pc, opRemoteCreateInstance, nil, q, &p); err != nil {
				return err
			}
			return wantResult(&p, nil, S_OK)
		}},
	{"3.1.2.5.2.3.1", "phr a failure: pResults MUST be 0x00000000 for each interface, and success codes other than 0 MUST NOT be used",
		func(ctx context.Context, f *fixture) error {
			p, err := legacy(ctx, f, plainUser, func(q *RemoteActivationRequest) { q.IIDs = []ndr.GUID{IID_IEcho, IID_Other} })
			if err != nil {
				return err
			}
			if p.HR != E_ACCESSDENIED || len(p.Results) != 2 || p.Results[0] != 0 || p.Results[1] != 0 {
				return fmt.Errorf("phr %v, results %v", p.HR, p.Results)
			}
			q, err := legacy(ctx, f, testUser, func(q *RemoteActivationRequest) { q.IIDs = []ndr.GUID{IID_IEcho, IID_Other} })
			if err != nil {
				return err
			}
			if q.HR != S_OK || q.Results[0] != S_OK || q.Results[1] != E_NOINTERFACE {
				return fmt.Errorf("phr %v, results %v", q.HR, q.Results)
			}
			return nil
		}},
	{"3.1.2.5.2.3.1", "ppdsaOxidBindings MUST NOT be NULL; pServerVersion MUST be the exporter's COMVERSION",
		func(ctx context.Context, f *fixture) error {
			p, err := legacy(ctx, f, testUser, nil)
			if err != nil {
				return err
			}
			if p.HR != S_OK || p.OxidBindings == nil || len(p.OxidBindings.StringBindings) == 0 || p.ServerVersion != serverVersion {
				return fmt.Errorf("%+v", p)
			}
			return nil
		}},
	{"3.1.2.5.2.3.1", "Mode MUST be 0, or MODE_GET_CLASS_OBJECT for a class factory reference",
		func(ctx context.Context, f *fixture) error {
			p, err := legacy(ctx, f, testUser, func(q *RemoteActivationRequest) { q.Mode = 5 })
			if err != nil {
				return err
			}
			if p.HR != E_INVALIDARG {
				return fmt.Errorf("Mode 5: %v, want E_INVALIDARG", p.HR)
			}
			q, err := legacy(ctx, f, testUser, func(q *RemoteActivationRequest) {
				q.Mode, q.IIDs = ModeGetClassObject, []ndr.GUID{IID_IClassFactory, IID_IClassFactory2}
			})
			if err != nil {
				return err
			}
			if q.HR != S_OK || q.Results[0] != S_OK || q.Results[1] != E_NOINTERFACE {
				return fmt.Errorf("MODE_GET_CLASS_OBJECT: %v %v", q.HR, q.Results)
			}
			return nil
		}},
	{"3.1.2.5.2.1-2", "the activation methods MUST NOT throw exceptions: refusals are HRESULTs, not faults",
		func(ctx context.Context, f *fixture) error {
			for _, in := range []func(*ActivationIn){
				func(a *ActivationIn) { a.Instantiation.ClassID = IID_Other },
				func(a *ActivationIn) { a.ScmRequest.RemoteRequest.RequestedProtseqs = []uint16{0x1f} },
				func(a *ActivationIn) { a.Instantiation.IIDs = []ndr.GUID{IID_Other} },
			} {
				if _, err := scm(ctx, f, plainUser, opRemoteCreateInstance, echoIn(in), nil); err != nil {
					return err
				}
			}
			return nil
		}},
	{"3.1.2.5.2", "IActivation and IRemoteSCMActivator MUST use the NDR transfer syntax: NDR64 is refused",
		func(ctx context.Context, f *fixture) error {
			addr := "127.0.0.1:" + strconv.Itoa(f.port)
			return errors.Join(ndr64Only(ctx, f, addr, IID_IRemoteSCMActivator), ndr64Only(ctx, f, addr, IID_IActivation))
		}},
	{"2.2.13", "ORPCTHIS and ORPCTHAT MUST be marshaled with NDR: the exporter refuses NDR64",
		func(ctx context.Context, f *fixture) error {
			return errors.Join(ndr64Only(ctx, f, f.obj, IID_IRemUnknown2), ndr64Only(ctx, f, f.obj, IID_IEcho))
		}},
	{"2.2.13.3", "flags in an activation request MUST be ignored on receipt",
		func(ctx context.Context, f *fixture) error {
			return allThree(ctx, f, testUser, S_OK, nil, func(o *ORPCThis) { o.Flags = ORPCFLocal },
				func(q *RemoteActivationRequest) { q.ORPCThis.Flags = 0xFFFFFFFF })
		}},
	{"2.2.13.3", "flags in ORPC invocations MUST be 0 (our client sends 0)",
		func(ctx context.Context, f *fixture) error {
			if o := newORPCThis(); o.Flags != 0 || o.Extensions != nil || o.CID.IsZero() {
				return fmt.Errorf("our ORPCTHIS %+v", o)
			}
			return nil
		}},
	{"2.2.13.3", "reserved1 MUST be ignored on receipt",
		func(ctx context.Context, f *fixture) error {
			return objectCall(ctx, f, func(o *ORPCThis) { o.Reserved1 = 0xdeadbeef })
		}},
	{"1.7, 3.1.1.5.4", "servers MUST reject ORPC calls with a nonmatching major or a higher minor version",
		func(ctx context.Context, f *fixture) error {
			return errors.Join(
				faultIs(objectCall(ctx, f, func(o *ORPCThis) { o.Version.Minor = COMVersionMinor + 1 }), uint32(RPC_E_VERSION_MISMATCH)),
				faultIs(objectCall(ctx, f, func(o *ORPCThis) { o.Version.Major = 4 }), uint32(RPC_E_VERSION_MISMATCH)))
		}},
	{"1.7", "the COM version is 5 with minor 1, 2, 4, 6 or 7 (ours: 5.7, in ServerAlive2 and every activation)",
		func(ctx context.Context, f *fixture) error {
			if serverVersion.Major != 5 || !strings.Contains(" 1 2 4 6 7 ", " "+strconv.Itoa(int(serverVersion.Minor))+" ") {
				return fmt.Errorf("version %+v", serverVersion)
			}
			return nil
		}},
	{"3.1.2.5.2.3.2", "RemoteGetClassObject returns a reference to the class factory: IClassFactory, not IClassFactory2",
		func(ctx context.Context, f *fixture) error {
			a := echoIn(func(a *ActivationIn) {
				a.Instantiation.IIDs = []ndr.GUID{IID_IClassFactory, IID_IClassFactory2, IID_IEcho}
			})
			p, err := scm(ctx, f, testUser, opRemoteGetClassObject, a, nil)
			if err := wantResult(p, err, S_OK); err != nil {
				return err
			}
			out, err := ParseActivationOut(p.ActProperties)
			if err != nil {
				return err
			}
			ifs := out.Interfaces()
			if len(ifs) != 3 || ifs[0].Result != S_OK || ifs[1].Result != E_NOINTERFACE || ifs[2].Result != E_NOINTERFACE {
				return fmt.Errorf("%+v", ifs)
			}
			if f.echo.created.Load() != 0 {
				return errors.New("RemoteGetClassObject created an instance")
			}
			return nil
		}},
}

// resolver calls IObjectExporter opnum as the test administrator.
func resolver(ctx context.Context, f *fixture, opnum uint16, q ndr.Marshaler, p ndr.Unmarshaler) error {
	cfg, _ := f.clientConfig(testUser, false).withDefaults()
	conn, pc, err := dialActivator(ctx, cfg, IID_IObjectExporter)
	if err != nil {
		return err
	}
	defer conn.Close()
	return invoke(ctx, conn, pc, opnum, nil, q, p)
}

// The object resolver's MUSTs that activation leans on (the OXID it
// returns, the pinging that keeps what it creates alive).
var mustResolver = []mustRow{
	{"3.1.2.5.1.1, 3.1.2.5.1.5", "an unknown OXID: MUST return OR_INVALID_OXID",
		func(ctx context.Context, f *fixture) error {
			p := ResolveOxidResponse{Version2: true}
			if err := resolver(ctx, f, opResolveOxid2, &ResolveOxidRequest{OXID: f.srv.tab.oxid + 1, RequestedProtseqs: []uint16{TowerNCACNIPTCP}}, &p); err != nil {
				return err
			}
			if p.Status != OR_INVALID_OXID {
				return fmt.Errorf("status %#x", p.Status)
			}
			return nil
		}},
	{"3.1.2.5.1.5", "ppdsaOxidBindings MUST NOT be NULL; pipidRemUnknown MUST be the exporter's Remote Unknown",
		func(ctx context.Context, f *fixture) error {
			p := ResolveOxidResponse{Version2: true}
			if err := resolver(ctx, f, opResolveOxid2, &ResolveOxidRequest{OXID: f.srv.tab.oxid, RequestedProtseqs: []uint16{TowerNCACNIPTCP}}, &p); err != nil {
				return err
			}
			if p.Status != 0 || p.OxidBindings == nil || len(p.OxidBindings.StringBindings) == 0 || p.IPIDRemUnknown != f.srv.tab.remUnk || p.COMVersion != serverVersion {
				return fmt.Errorf("%+v", p)
			}
			return nil
		}},
	{"3.1.2.5.1.2", "SimplePing of an unknown SETID returns OR_INVALID_SET",
		func(ctx context.Context, f *fixture) error {
			var p StatusResponse
			if err := resolver(ctx, f, opSimplePing, &SimplePingRequest{SetID: 12345}, &p); err != nil {
				return err
			}
			if p.Status != OR_INVALID_SET {
				return fmt.Errorf("status %#x", p.Status)
			}
			return nil
		}},
	{"3.1.2.5.1.3", "SETID 0: MUST return a new set; a nonzero SETID MUST NOT change; an unknown one MUST return OR_INVALID_SET",
		func(ctx context.Context, f *fixture) error {
			itf, err := Activate(ctx, f.clientConfig(testUser, false), CLSID_Echo, IID_IEcho)
			if err != nil {
				return err
			}
			defer itf.Close()
			var p, p2, p3 ComplexPingResponse
			if err := resolver(ctx, f, opComplexPing, &ComplexPingRequest{AddToSet: []uint64{itf.OID()}}, &p); err != nil {
				return err
			}
			if err := resolver(ctx, f, opComplexPing, &ComplexPingRequest{SetID: p.SetID, SequenceNum: 1}, &p2); err != nil {
				return err
			}
			if err := resolver(ctx, f, opComplexPing, &ComplexPingRequest{SetID: p.SetID + 1, SequenceNum: 1}, &p3); err != nil {
				return err
			}
			if p.SetID == 0 || p.Status != 0 || p2.SetID != p.SetID || p2.Status != 0 || p3.Status != OR_INVALID_SET {
				return fmt.Errorf("%+v %+v %+v", p, p2, p3)
			}
			return nil
		}},
	{"3.1.2.5.1.3", "an unknown OID in AddToSet MUST return OR_INVALID_OID; a stale sequence number MUST take no action and succeed",
		func(ctx context.Context, f *fixture) error {
			var p, p2, p3 ComplexPingResponse
			if err := resolver(ctx, f, opComplexPing, &ComplexPingRequest{SequenceNum: 5}, &p); err != nil {
				return err
			}
			if err := resolver(ctx, f, opComplexPing, &ComplexPingRequest{SetID: p.SetID, SequenceNum: 6, AddToSet: []uint64{42}}, &p2); err != nil {
				return err
			}
			if err := resolver(ctx, f, opComplexPing, &ComplexPingRequest{SetID: p.SetID, SequenceNum: 4, AddToSet: []uint64{42}}, &p3); err != nil {
				return err
			}
			if p2.Status != OR_INVALID_OID || p3.Status != 0 {
				return fmt.Errorf("unknown OID: %#x; stale sequence: %#x", p2.Status, p3.Status)
			}
			return nil
		}},
}

func TestMUSTResolver(t *testing.T) {
	for i, row := range mustResolver {
		t.Run(fmt.Sprintf("%02d_%s", i, row.sec), func(t *testing.T) {
			f := startServer(t, nil)
			if err := row.check(testCtx(t), f); err != nil {
				t.Errorf("[MS-DCOM] %s: %s: %v", row.sec, row.text, err)
			}
		})
	}
}

func TestMUSTActivation(t *testing.T) {
	for i, row := range mustDCOM {
		t.Run(fmt.Sprintf("%02d_%s", i, row.sec), func(t *testing.T) {
			f := startServer(t, nil)
			if err := row.check(testCtx(t), f); err != nil {
				t.Errorf("[MS-DCOM] %s: %s: %v", row.sec, row.text, err)
			}
		})
	}
}
