package winclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/internal/iisswire"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// Config says where the client goes and as whom.
type Config struct {
	Addr                   string // the activator, host:port
	User, Domain, Password string
	// RawNTLM authenticates to the exporter with raw NTLMSSP instead of
	// the captured SPNEGO offer.
	RawNTLM bool
	// NDR64 offers only NDR64 for the object's interfaces. A DCOM server
	// MUST refuse it (ORPCTHIS is NDR, [MS-DCOM] 2.2.13), as Windows
	// servers do; Windows clients offer NDR20 and NDR64 together.
	NDR64 bool
	Rec   *Recording
}

// Level is the authentication level of every connection: packet privacy.
const Level = rpc.AuthLevelPrivacy

// features are the bind-time features the captured client offers.
const features = rpc.FeatureSecurityContextMultiplexing | rpc.FeatureKeepConnectionOnOrphan

// ClassObject is a class object obtained through RemoteGetClassObject.
type ClassObject struct {
	s       *session
	Factory dcom.StdObjRef // IClassFactory, as the activation returned it
}

// session is the connection to the object exporter.
type session struct {
	cfg    *Config
	conn   *rpc.Conn
	remUnk ndr.GUID
	oxid   uint64

	mu      sync.Mutex
	auth    *rpc.AuthContext
	pcs     map[ndr.GUID]*rpc.PresContext
	trailed map[uint16]bool // contexts whose first request carried a trailer
	// Selected is the SPNEGO mechanism the server chose ("" for raw NTLM).
	Selected string
}

// GetClassObject activates clsid's class object as the captured client
// did: its RemoteGetClassObject stub (asking for IClassFactory) with the
// CLSID replaced, over an NTLM-authenticated activator connection at
// packet privacy; then it binds to the object exporter (SPNEGO offering
// Kerberos first).
func GetClassObject(ctx context.Context, cfg *Config, clsid ndr.GUID) (*ClassObject, error) {
	act, err := activate(ctx, cfg, clsid)
	if err != nil {
		return nil, err
	}
	s, err := dialExporter(ctx, cfg, act)
	if err != nil {
		return nil, err
	}
	return &ClassObject{s: s, Factory: act.std}, nil
}

type activation struct {
	std      dcom.StdObjRef
	bindings *dcom.DualStringArray
	remUnk   ndr.GUID
	oxid     uint64
	host     string
}

func activate(ctx context.Context, cfg *Config, clsid ndr.GUID) (*activation, error) {
	conn, err := rpc.Dial(ctx, cfg.Addr, nil)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	pc, err := conn.Bind(ctx, rpc.SyntaxID{UUID: dcom.IID_IRemoteSCMActivator},
		&rpc.BindOptions{Auth: &rpc.AuthOptions{Initiator: cfg.rawNTLM(), Level: Level}})
	if err != nil {
		return nil, err
	}
	stub := bytes.Replace(cfg.Rec.GetClassObject, CLSID_MMC20Application[:], clsid[:], 1)
	out, err := conn.Call(ctx, pc, 3, nil, withTrailer(pc, stub))
	if err != nil {
		return nil, err
	}
	var p dcom.ActivationResponse
	if err := decode(out, &p); err != nil {
		return nil, err
	}
	if p.Result.Failed() {
		return nil, &dcom.ActivationError{Op: "RemoteGetClassObject", HR: p.Result}
	}
	a, err := dcom.ParseActivationOut(p.ActProperties)
	if err != nil {
		return nil, err
	}
	ifs := a.Interfaces()
	if len(ifs) != 1 || ifs[0].IID != dcom.IID_IClassFactory {
		return nil, fmt.Errorf("winclient: %d interfaces for the one IClassFactory asked", len(ifs))
	}
	if ifs[0].Result.Failed() {
		return nil, &dcom.ActivationError{Op: "RemoteGetClassObject", HR: ifs[0].Result}
	}
	ref, err := ifs[0].Ptr.ObjRef()
	if err != nil {
		return nil, err
	}
	r := a.ScmReply.RemoteReply
	host, _, _ := net.SplitHostPort(cfg.Addr)
	return &activation{std: ref.Std, bindings: r.OxidBindings, remUnk: r.IPIDRemUnknown, oxid: r.OXID, host: host}, nil
}

// withTrailer appends rpc_sec_vt_pcontext, as Windows does on the first
// request of a presentation context ([MS-RPCE] 2.2.2.13.4, <43>).
func withTrailer(pc *rpc.PresContext, stub []byte) []byte {
	vt := &rpc.VerificationTrailer{Commands: []rpc.VTCommand{
		rpc.PContextCommand(rpc.VTPContext{Interface: pc.Interface, Transfer: pc.Transfer}),
	}}
	return vt.AppendTo(append([]byte{}, stub...))
}

// exporterAddr picks the string binding "host[port]" naming the host
// the activator was reached at.
func exporterAddr(a *activation) (string, error) {
	if a.bindings == nil {
		return "", errors.New("winclient: no exporter bindings")
	}
	for _, b := range a.bindings.StringBindings {
		h, port, ok := strings.Cut(strings.TrimSuffix(b.NetworkAddr, "]"), "[")
		if b.TowerID == dcom.TowerNCACNIPTCP && ok && h == a.host {
			return net.JoinHostPort(h, port), nil
		}
	}
	return "", fmt.Errorf("winclient: no binding for %s in %+v", a.host, a.bindings.StringBindings)
}

func dialExporter(ctx context.Context, cfg *Config, a *activation) (*session, error) {
	addr, err := exporterAddr(a)
	if err != nil {
		return nil, err
	}
	conn, err := rpc.Dial(ctx, addr, nil)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, conn: conn, remUnk: a.remUnk, oxid: a.oxid, pcs: map[ndr.GUID]*rpc.PresContext{}, trailed: map[uint16]bool{}}
	if _, err := s.context(ctx, dcom.IID_IRemUnknown2); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// context binds (first) or alters to iid, offering NDR20, NDR64 and the
// bind-time features as the captured client does.
func (s *session) context(ctx context.Context, iid ndr.GUID) (*rpc.PresContext, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pc, ok := s.pcs[iid]; ok {
		return pc, nil
	}
	syn := []ndr.Syntax{ndr.NDR20, ndr.NDR64}
	if s.cfg.NDR64 && iid != dcom.IID_IRemUnknown2 && iid != dcom.IID_IClassFactory {
		syn = []ndr.Syntax{ndr.NDR64}
	}
	opts := &rpc.BindOptions{Syntaxes: syn, AuthContext: s.auth}
	var sc *spnegoCtx
	if s.auth == nil {
		opts.Features = features
		var init rpc.Initiator = winSPNEGO{s.cfg}
		if s.cfg.RawNTLM {
			init = s.cfg.rawNTLM()
		}
		opts.Auth = &rpc.AuthOptions{Initiator: init, Level: Level}
	}
	pc, err := s.conn.Bind(ctx, rpc.SyntaxID{UUID: iid}, opts)
	if err != nil {
		return nil, err
	}
	if s.auth == nil {
		if sc, _ = pc.Auth.Security().(*spnegoCtx); sc != nil {
			s.Selected = sc.selected
		}
	}
	s.auth, s.pcs[iid] = pc.Auth, pc
	return pc, nil
}

// call makes an ORPC call; stub already holds ORPCTHIS. The first
// request on a context carries the verification trailer.
func (s *session) call(ctx context.Context, iid ndr.GUID, opnum uint16, ipid ndr.GUID, stub func(*rpc.PresContext) ([]byte, error)) (*ndr.Reader, error) {
	pc, err := s.context(ctx, iid)
	if err != nil {
		return nil, err
	}
	b, err := stub(pc)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	first := !s.trailed[pc.ID]
	s.trailed[pc.ID] = true
	s.mu.Unlock()
	if first {
		b = withTrailer(pc, b)
	}
	out, err := s.conn.Call(ctx, pc, opnum, &ipid, b)
	if err != nil {
		return nil, err
	}
	r := ndr.NewReader(out, pc.Syntax)
	var that dcom.ORPCThat
	r.Unmarshal(&that)
	return r, r.Err()
}

// marshalled builds a stub: ORPCTHIS (COM 5.7, fresh causality ID) and body.
func marshalled(pc *rpc.PresContext, body func(*ndr.Writer)) ([]byte, error) {
	w := ndr.NewWriter(pc.Syntax)
	this := dcom.ORPCThis{Version: dcom.COMVersion{Major: dcom.COMVersionMajor, Minor: dcom.COMVersionMinor}}
	rand.Read(this.CID[:])
	w.Marshal(&this)
	body(w)
	return w.Bytes(), w.Err()
}

// QueryInterfaceClassFactory2 replays the captured
// RemQueryInterface(IClassFactory2) with the class object's IPID: what
// .NET asks before CreateInstance.
func (co *ClassObject) QueryInterfaceClassFactory2(ctx context.Context) (dcom.StdObjRef, error) {
	var q dcom.RemQueryInterfaceRequest
	if err := decodeORPC(co.s.cfg.Rec.RemQI, &q); err != nil {
		return dcom.StdObjRef{}, err
	}
	return co.s.remQI(ctx, func(pc *rpc.PresContext) ([]byte, error) {
		if pc.Syntax != ndr.NDR20 {
			return remQIStub(pc, co.Factory.IPID, dcom.IID_IClassFactory2)
		}
		return bytes.Replace(co.s.cfg.Rec.RemQI, q.IPID[:], co.Factory.IPID[:], 1), nil
	})
}

func remQIStub(pc *rpc.PresContext, ipid, iid ndr.GUID) ([]byte, error) {
	return marshalled(pc, func(w *ndr.Writer) {
		w.Marshal(&dcom.RemQueryInterfaceRequest{IPID: ipid, CRefs: 5, IIDs: []ndr.GUID{iid}})
	})
}

// QueryInterface asks the class object for iid.
func (co *ClassObject) QueryInterface(ctx context.Context, iid ndr.GUID) (dcom.StdObjRef, error) {
	return co.s.remQI(ctx, func(pc *rpc.PresContext) ([]byte, error) { return remQIStub(pc, co.Factory.IPID, iid) })
}

func (s *session) remQI(ctx context.Context, stub func(*rpc.PresContext) ([]byte, error)) (dcom.StdObjRef, error) {
	r, err := s.call(ctx, dcom.IID_IRemUnknown2, 3, s.remUnk, stub)
	if err != nil {
		return dcom.StdObjRef{}, err
	}
	var p dcom.RemQueryInterfaceResponse
	r.Unmarshal(&p)
	if err := r.Err(); err != nil {
		return dcom.StdObjRef{}, err
	}
	if len(p.Results) != 1 {
		return dcom.StdObjRef{}, &dcom.ActivationError{Op: "RemQueryInterface", HR: p.HR}
	}
	if hr := p.Results[0].HResult; hr.Failed() {
		return dcom.StdObjRef{}, &dcom.ActivationError{Op: "RemQueryInterface", HR: hr}
	}
	return p.Results[0].Std, nil
}

// CreateInstance is IClassFactory::CreateInstance with the captured stub
// (ORPCTHIS, riid) and iid in place of IUnknown; in NDR64 the same
// parameters are marshaled afresh.
func (co *ClassObject) CreateInstance(ctx context.Context, iid ndr.GUID) (*Object, error) {
	r, err := co.s.call(ctx, dcom.IID_IClassFactory, 3, co.Factory.IPID, func(pc *rpc.PresContext) ([]byte, error) {
		if pc.Syntax != ndr.NDR20 {
			return marshalled(pc, func(w *ndr.Writer) { iid.MarshalNDR(w) })
		}
		b := append([]byte{}, co.s.cfg.Rec.CreateInstance...)
		copy(b[createInstanceLen-16:], iid[:])
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	var mip *dcom.MInterfacePointer
	r.Pointer(func(r *ndr.Reader) { mip = new(dcom.MInterfacePointer); mip.UnmarshalNDR(r) })
	r.Flush()
	hr := dcom.HRESULT(r.Uint32())
	if err := r.Err(); err != nil {
		return nil, err
	}
	if hr.Failed() {
		return nil, &dcom.ActivationError{Op: "IClassFactory::CreateInstance", HR: hr}
	}
	if mip == nil {
		return nil, errors.New("winclient: CreateInstance returned S_OK and no pointer")
	}
	ref, err := mip.ObjRef()
	if err != nil {
		return nil, err
	}
	if ref.Flags != dcom.ObjRefStandard || ref.IID != iid || ref.Std.OXID != co.s.oxid {
		return nil, fmt.Errorf("winclient: CreateInstance returned flags %#x iid %s oxid %#x", ref.Flags, ref.IID, ref.Std.OXID)
	}
	return &Object{s: co.s, IID: iid, Std: ref.Std}, nil
}

// Release is RemRelease of the class object's references.
func (co *ClassObject) Release(ctx context.Context) error {
	return co.s.release(ctx, co.Factory)
}

// Close closes the exporter connection.
func (co *ClassObject) Close() error { return co.s.conn.Close() }

// Selected is the SPNEGO mechanism the server chose.
func (co *ClassObject) Selected() string { return co.s.Selected }

func (s *session) release(ctx context.Context, refs ...dcom.StdObjRef) error {
	q := &dcom.RemReleaseRequest{}
	for _, r := range refs {
		q.Refs = append(q.Refs, dcom.RemInterfaceRef{IPID: r.IPID, CPublicRefs: r.CPublicRefs})
	}
	r, err := s.call(ctx, dcom.IID_IRemUnknown2, 5, s.remUnk, func(pc *rpc.PresContext) ([]byte, error) {
		return marshalled(pc, func(w *ndr.Writer) { w.Marshal(q) })
	})
	if err != nil {
		return err
	}
	var p dcom.StatusResponse
	r.Unmarshal(&p)
	if err := r.Err(); err != nil {
		return err
	}
	if p.Status != 0 {
		return dcom.HRESULT(p.Status)
	}
	return nil
}

// Object is an instance's interface. Its Call has the shape iiss uses for its wire client.
type Object struct {
	s   *session
	IID ndr.GUID
	Std dcom.StdObjRef
}

// Call makes an ORPC call on the object (NDR64 when the server chose it).
func (o *Object) Call(ctx context.Context, opnum uint16, req func(*ndr.Writer), resp func(*ndr.Reader) error) error {
	r, err := o.s.call(ctx, o.IID, opnum, o.Std.IPID, func(pc *rpc.PresContext) ([]byte, error) {
		return marshalled(pc, func(w *ndr.Writer) {
			if req != nil {
				req(w)
			}
		})
	})
	if err != nil || resp == nil {
		return err
	}
	return resp(r)
}

// Syntax is the transfer syntax the server selected for the object's interface.
func (o *Object) Syntax() ndr.Syntax {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	if pc := o.s.pcs[o.IID]; pc != nil {
		return pc.Syntax
	}
	return ndr.NDR20
}

// Release is RemRelease of the object's reference.
func (o *Object) Release(ctx context.Context) error { return o.s.release(ctx, o.Std) }

// LCIDEnglishUS is the locale VBScript passes on an en-US system.
const LCIDEnglishUS = 0x409

// CallByName calls a method as VBScript's `obj.Name a, b` does:
// GetIDsOfNames for the name, then Invoke with DISPATCH_METHOD and the
// arguments in reverse order ([MS-OAUT] 3.1.4.3-4). VBScript passes
// small integer literals as VT_I2 and True/False as VT_BOOL.
func (o *Object) CallByName(ctx context.Context, name string, args ...iisswire.Variant) (iisswire.HRESULT, error) {
	var ids iisswire.GetIDsOfNamesResponse
	err := o.Call(ctx, 5, func(w *ndr.Writer) {
		w.Marshal(&iisswire.GetIDsOfNamesRequest{Names: []string{name}, LCID: LCIDEnglishUS})
	}, func(r *ndr.Reader) error { r.Unmarshal(&ids); return r.Err() })
	if err != nil {
		return 0, err
	}
	if ids.Result.Failed() || len(ids.DispIDs) != 1 {
		return ids.Result, nil
	}
	rev := make([]iisswire.Variant, len(args))
	for i, a := range args {
		rev[len(args)-1-i] = a
	}
	var out iisswire.InvokeResponse
	err = o.Call(ctx, 6, func(w *ndr.Writer) {
		w.Marshal(&iisswire.InvokeRequest{DispID: ids.DispIDs[0], LCID: LCIDEnglishUS, Flags: iisswire.DISPATCH_METHOD, Params: iisswire.DispParams{Args: rev}})
	}, func(r *ndr.Reader) error { r.Unmarshal(&out); return r.Err() })
	if err != nil {
		return 0, err
	}
	return out.HR, nil
}
