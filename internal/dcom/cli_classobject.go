package dcom

import (
	"context"
	"errors"
	"fmt"

	"github.com/iisctl/iisctl/ndr"
)

// ClassFactory is a client reference to a class object's IClassFactory
// ([MS-DCOM] 3.1.2.5.2.3.2; COM's IClassFactory). Close releases it.
type ClassFactory struct {
	*Interface
}

// GetClassObject obtains the class object of clsid on cfg.Host: the
// road of CoGetClassObject (RemoteGetClassObject, falling back to
// RemoteActivation in MODE_GET_CLASS_OBJECT), then a connection to its
// object exporter.
func GetClassObject(ctx context.Context, cfg ClientConfig, clsid ndr.GUID) (*ClassFactory, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	itf, err := activateInterface(ctx, cfg, clsid, IID_IClassFactory, true)
	if err != nil {
		return nil, err
	}
	return &ClassFactory{itf}, nil
}

// CreateInstance is IClassFactory::CreateInstance: a new instance's iid
// interface, on the class object's connection. A non-nil outer asks for
// aggregation, which cannot cross machines: it fails with
// CLASS_E_NOAGGREGATION before anything is sent, as COM's proxy does.
func (f *ClassFactory) CreateInstance(ctx context.Context, outer *Interface, iid ndr.GUID) (*Interface, error) {
	const op = "IClassFactory::CreateInstance"
	if outer != nil {
		return nil, &ActivationError{Op: op, HR: CLASS_E_NOAGGREGATION}
	}
	var p createInstanceResponse
	err := f.Call(ctx, opClassFactoryCreateInstance,
		func(w *ndr.Writer) { w.Marshal(&createInstanceRequest{IID: iid}) },
		func(r *ndr.Reader) error { r.Unmarshal(&p); return r.Err() })
	if err != nil {
		return nil, err
	}
	if p.HR.Failed() {
		return nil, &ActivationError{Op: op, HR: p.HR}
	}
	if p.Ptr == nil {
		return nil, fmt.Errorf("dcom: %s: S_OK without an interface pointer", op)
	}
	ref, err := p.Ptr.ObjRef()
	if err != nil {
		return nil, err
	}
	if ref.Flags != ObjRefStandard || ref.IID != iid {
		return nil, fmt.Errorf("dcom: %s: OBJREF flags %#x for %s, want a standard reference for %s", op, ref.Flags, ref.IID, iid)
	}
	if ref.Std.OXID != f.s.oxid {
		// Another exporter would need its own resolution and session;
		// a class object creates its instances in its own exporter.
		return nil, errors.Join(f.s.remRelease(ctx, ref.Std.IPID, ref.Std.CPublicRefs),
			fmt.Errorf("dcom: %s: instance in exporter %#x, not the class object's %#x", op, ref.Std.OXID, f.s.oxid))
	}
	return f.s.open(ctx, iid, ref.Std)
}

// LockServer is IClassFactory::LockServer.
func (f *ClassFactory) LockServer(ctx context.Context, lock bool) error {
	var p hresultResponse
	err := f.Call(ctx, opClassFactoryLockServer,
		func(w *ndr.Writer) { w.Marshal(&lockServerRequest{Lock: lock}) },
		func(r *ndr.Reader) error { r.Unmarshal(&p); return r.Err() })
	if err == nil && p.HR.Failed() {
		err = &ActivationError{Op: "IClassFactory::LockServer", HR: p.HR}
	}
	return err
}

// activateThroughClassObject is Activate with cfg.ClassObject: the class
// object, one CreateInstance, then the class object's release. The
// instance keeps the connection.
func activateThroughClassObject(ctx context.Context, cfg ClientConfig, clsid, iid ndr.GUID) (*Interface, error) {
	itf, err := activateInterface(ctx, cfg, clsid, IID_IClassFactory, true)
	if err != nil {
		return nil, err
	}
	f := &ClassFactory{itf}
	obj, err := f.CreateInstance(ctx, nil, iid)
	if err != nil {
		return nil, errors.Join(err, f.CloseContext(ctx))
	}
	if err := f.CloseContext(ctx); err != nil {
		return nil, errors.Join(err, obj.CloseContext(ctx))
	}
	return obj, nil
}
