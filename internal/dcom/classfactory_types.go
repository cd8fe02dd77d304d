package dcom

import "github.com/iisctl/iisctl/ndr"

// IClassFactory on the wire (COM's objidl.idl, the interface a class
// object exports; [MS-DCOM] 3.1.2.5.2.3.2 returns a reference to it).
// Only the [call_as] forms travel: RemoteCreateInstance(riid, ppvObject)
// has no pUnkOuter (the caller's proxy refuses aggregation with
// CLASS_E_NOAGGREGATION before anything is sent, as the Windows capture
// in ../shared/captures shows: ORPCTHIS, then riid, then nothing), and
// RemoteLockServer(fLock). ORPCTHIS and ORPCTHAT are written by the ORPC
// layer, so these structures hold only the method's own parameters.
var (
	IID_IClassFactory  = ndr.MustGUID("00000001-0000-0000-c000-000000000046")
	IID_IClassFactory2 = ndr.MustGUID("b196b28f-bab4-101a-b69c-00aa00341d07")
)

// IClassFactory opnums (after IUnknown's three).
const (
	opClassFactoryCreateInstance = 3
	opClassFactoryLockServer     = 4
)

// ModeGetClassObject is IActivation::RemoteActivation's Mode for a class
// object ([MS-DCOM] 3.1.2.5.2.3.1).
const ModeGetClassObject uint32 = 0xFFFFFFFF

// CLASS_E_NOAGGREGATION is the answer to an aggregated creation ([MS-ERREF] 2.1).
const CLASS_E_NOAGGREGATION HRESULT = 0x80040110

// createInstanceRequest is RemoteCreateInstance's [in] riid (a [ref] REFIID).
type createInstanceRequest struct{ IID ndr.GUID }

func (q *createInstanceRequest) MarshalNDR(w *ndr.Writer)   { q.IID.MarshalNDR(w) }
func (q *createInstanceRequest) UnmarshalNDR(r *ndr.Reader) { q.IID.UnmarshalNDR(r) }

// createInstanceResponse is RemoteCreateInstance's [out, iid_is(riid)]
// IUnknown **ppvObject (a unique MInterfacePointer) and its HRESULT.
type createInstanceResponse struct {
	Ptr *MInterfacePointer
	HR  HRESULT
}

func (p *createInstanceResponse) MarshalNDR(w *ndr.Writer) {
	writeMIP(w, p.Ptr)
	w.Flush()
	w.Uint32(uint32(p.HR))
}

func (p *createInstanceResponse) UnmarshalNDR(r *ndr.Reader) {
	readMIP(r, &p.Ptr)
	r.Flush()
	p.HR = HRESULT(r.Uint32())
}

// lockServerRequest is RemoteLockServer's [in] BOOL fLock.
type lockServerRequest struct{ Lock bool }

func (q *lockServerRequest) MarshalNDR(w *ndr.Writer) {
	v := uint32(0)
	if q.Lock {
		v = 1
	}
	w.Uint32(v)
}

func (q *lockServerRequest) UnmarshalNDR(r *ndr.Reader) { q.Lock = r.Uint32() != 0 }

// hresultResponse is a method whose only [out] is its HRESULT.
type hresultResponse struct{ HR HRESULT }

func (p *hresultResponse) MarshalNDR(w *ndr.Writer)   { w.Uint32(uint32(p.HR)) }
func (p *hresultResponse) UnmarshalNDR(r *ndr.Reader) { p.HR = HRESULT(r.Uint32()) }
