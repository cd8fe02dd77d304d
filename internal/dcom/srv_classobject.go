package dcom

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/iisctl/iisctl/ndr"
)

// classObject is a class's class factory as exported by
// RemoteGetClassObject and RemoteActivation in MODE_GET_CLASS_OBJECT
// ([MS-DCOM] 3.1.2.5.2.3): IClassFactory plus IUnknown (through
// IRemUnknown, as every exported object). It lives in the export table
// like any object, so pinging, RemRelease and garbage collection
// ([MS-DCOM] 3.1.2.6) govern it; IClassFactory2 and every other IID get
// E_NOINTERFACE from RemQueryInterface.
type classObject struct {
	s     *Server
	class *Class
	locks atomic.Int32 // LockServer(TRUE) minus LockServer(FALSE), never below zero
}

// factoryClass describes the class object of c to the export table: the
// interfaces it answers and c's authorization.
func factoryClass(c *Class) *Class {
	return &Class{CLSID: c.CLSID, Name: c.Name + " class object", IIDs: []ndr.GUID{IID_IClassFactory}, Authorize: c.Authorize}
}

// Invoke serves IClassFactory: opnum 3 CreateInstance, opnum 4 LockServer.
func (f *classObject) Invoke(ctx context.Context, c *Call) error {
	if c.IID != IID_IClassFactory {
		return errOpRange
	}
	switch c.Opnum {
	case opClassFactoryCreateInstance:
		var q createInstanceRequest
		c.In.Unmarshal(&q)
		if err := c.In.Err(); err != nil {
			return err
		}
		c.Out.Marshal(f.createInstance(ctx, c, q.IID))
	case opClassFactoryLockServer:
		var q lockServerRequest
		c.In.Unmarshal(&q)
		if err := c.In.Err(); err != nil {
			return err
		}
		f.lockServer(q.Lock)
		c.Out.Marshal(&hresultResponse{HR: S_OK})
	default:
		return errOpRange
	}
	return nil
}

// lockServer counts locks; the count never goes below zero. A lock does
// not pin the class object: its lifetime is the export table's.
func (f *classObject) lockServer(lock bool) {
	for {
		n := f.locks.Load()
		m := n + 1
		if !lock {
			m = max(n-1, 0)
		}
		if f.locks.CompareAndSwap(n, m) {
			return
		}
	}
}

// createInstance is IClassFactory::CreateInstance: the caller (already
// authorized for the class by serveORPC) gets a new instance's iid
// interface, an OBJREF_STANDARD with one public reference, or
// E_NOINTERFACE and nothing created when the class lacks iid.
func (f *classObject) createInstance(ctx context.Context, c *Call, iid ndr.GUID) *createInstanceResponse {
	s, class := f.s, f.class
	deny := func(hr HRESULT, why string) *createInstanceResponse {
		s.log.Warn("dcom: IClassFactory::CreateInstance denied", "reason", why, "hresult", fmt.Sprintf("0x%08X", uint32(hr)),
			"caller", c.Caller.Peer.String(), "addr", c.Caller.RemoteAddr, "class", class.Name, "iid", iid.String())
		return &createInstanceResponse{HR: hr}
	}
	if !implements(class, iid) {
		return deny(E_NOINTERFACE, "interface not supported")
	}
	obj, err := class.New(ctx, c.Caller)
	if err != nil {
		hr := E_FAIL
		if h, isHR := err.(HRESULT); isHR && h.Failed() {
			hr = h
		}
		return deny(hr, "instance creation failed: "+err.Error())
	}
	oid, ipids := s.tab.export(obj, class, []ndr.GUID{iid}, activationRefs)
	s.log.Debug("dcom: created through class object", "class", class.Name, "caller", c.Caller.Peer.String(), "addr", c.Caller.RemoteAddr)
	return &createInstanceResponse{Ptr: s.objref(c.rpc, iid, oid, ipids[0], activationRefs), HR: S_OK}
}
