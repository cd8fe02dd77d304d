package dcom

import "github.com/iisctl/iisctl/ndr"

// Each activation property is a top-level type of its own Type
// Serialization Version 1 stream ([MS-DCOM] 2.2.22.2; [MS-RPCE] 2.2.6).
// Embedded pointers are unique; reserved pointers that must be NULL are
// kept as *uint32 so that whatever arrives re-encodes identically.

func writeOptU32(w *ndr.Writer, p *uint32) {
	w.Pointer(p != nil, func(w *ndr.Writer) { w.Uint32(*p) })
}

func readOptU32(r *ndr.Reader, p **uint32) {
	r.Pointer(func(r *ndr.Reader) { v := r.Uint32(); *p = &v })
}

func writeOptWString(w *ndr.Writer, s *string) {
	w.Pointer(s != nil, func(w *ndr.Writer) { w.WString(*s) })
}

func readOptWString(r *ndr.Reader, s **string) {
	r.Pointer(func(r *ndr.Reader) { v := r.WString(); *s = &v })
}

// InstantiationInfoData is [MS-DCOM] 2.2.22.2.1: the class and the
// interfaces requested. ThisSize is recomputed when marshaled in a BLOB.
type InstantiationInfoData struct {
	ClassID          ndr.GUID
	ClassCtx         uint32
	ActvFlags        uint32
	FIsSurrogate     int32
	InstFlag         uint32
	IIDs             []ndr.GUID // cIID, 1..MaxRequestedInterfaces
	ThisSize         uint32
	ClientCOMVersion COMVersion
}

// MarshalNDR writes the structure and its deferred IID array.
func (d *InstantiationInfoData) MarshalNDR(w *ndr.Writer) {
	d.ClassID.MarshalNDR(w)
	w.Uint32(d.ClassCtx)
	w.Uint32(d.ActvFlags)
	w.Int32(d.FIsSurrogate)
	w.Uint32(uint32(len(d.IIDs)))
	w.Uint32(d.InstFlag)
	w.Pointer(d.IIDs != nil, func(w *ndr.Writer) { writeArray(w, d.IIDs, putGUID) })
	w.Uint32(d.ThisSize)
	d.ClientCOMVersion.MarshalNDR(w)
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure, enforcing range(1, MAX_REQUESTED_INTERFACES).
func (d *InstantiationInfoData) UnmarshalNDR(r *ndr.Reader) {
	d.ClassID.UnmarshalNDR(r)
	d.ClassCtx, d.ActvFlags, d.FIsSurrogate = r.Uint32(), r.Uint32(), r.Int32()
	n := int(r.Uint32())
	if r.OK() && (n < 1 || n > MaxRequestedInterfaces) {
		r.Failf("InstantiationInfoData: cIID %d out of range", n)
	}
	d.InstFlag = r.Uint32()
	present := r.Pointer(func(r *ndr.Reader) { d.IIDs = readArray(r, n, 16, "InstantiationInfoData.pIID", getGUID) })
	r.CheckNull(present, n)
	d.ThisSize = r.Uint32()
	d.ClientCOMVersion.UnmarshalNDR(r)
	r.Tail(r.PtrAlign())
}

// SpecialPropertiesData is [MS-DCOM] 2.2.22.2.2 in either layout. The
// standard layout has Reserved1, an 8-aligned Reserved2 and Reserved3[5];
// the alternate (Alternate = true) has Reserved3[8] right after dwFlags.
// The decoder tells them apart by the bytes left after dwFlags.
type SpecialPropertiesData struct {
	SessionID            uint32
	FRemoteThisSessionID int32
	FClientImpersonating int32
	FPartitionIDPresent  int32
	DefaultAuthnLvl      uint32
	GUIDPartition        ndr.GUID
	PRTFlags             uint32
	OrigClsctx           uint32
	Flags                uint32
	Reserved1            uint32
	Reserved2            uint64
	Reserved3            [8]uint32 // [5] in the standard layout
	Alternate            bool
}

// MarshalNDR writes the layout selected by Alternate.
func (d *SpecialPropertiesData) MarshalNDR(w *ndr.Writer) {
	if !d.Alternate {
		w.Align(8)
	}
	w.Uint32(d.SessionID)
	w.Int32(d.FRemoteThisSessionID)
	w.Int32(d.FClientImpersonating)
	w.Int32(d.FPartitionIDPresent)
	w.Uint32(d.DefaultAuthnLvl)
	d.GUIDPartition.MarshalNDR(w)
	w.Uint32(d.PRTFlags)
	w.Uint32(d.OrigClsctx)
	w.Uint32(d.Flags)
	n := 8
	if !d.Alternate {
		w.Uint32(d.Reserved1)
		w.Uint64(d.Reserved2)
		n = 5
	}
	for _, v := range d.Reserved3[:n] {
		w.Uint32(v)
	}
	if !d.Alternate {
		w.Tail(8)
	}
}

// UnmarshalNDR reads either layout.
func (d *SpecialPropertiesData) UnmarshalNDR(r *ndr.Reader) {
	d.SessionID = r.Uint32()
	d.FRemoteThisSessionID, d.FClientImpersonating, d.FPartitionIDPresent = r.Int32(), r.Int32(), r.Int32()
	d.DefaultAuthnLvl = r.Uint32()
	d.GUIDPartition.UnmarshalNDR(r)
	d.PRTFlags, d.OrigClsctx, d.Flags = r.Uint32(), r.Uint32(), r.Uint32()
	// Standard: 4 + pad + 8 + 20 >= 36 bytes follow; alternate: 32.
	d.Alternate = r.Remaining() < 36
	n := 8
	if !d.Alternate {
		d.Reserved1 = r.Uint32()
		d.Reserved2 = r.Uint64()
		n = 5
	}
	for i := range d.Reserved3[:n] {
		d.Reserved3[i] = r.Uint32()
	}
	if !d.Alternate {
		r.Tail(8)
	}
}

// InstanceInfoData is [MS-DCOM] 2.2.22.2.3 (persistent activation).
type InstanceInfoData struct {
	FileName *string
	Mode     uint32
	IfdROT   *MInterfacePointer
	IfdStg   *MInterfacePointer
}

// MarshalNDR writes the structure.
func (d *InstanceInfoData) MarshalNDR(w *ndr.Writer) {
	writeOptWString(w, d.FileName)
	w.Uint32(d.Mode)
	writeMIP(w, d.IfdROT)
	writeMIP(w, d.IfdStg)
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure.
func (d *InstanceInfoData) UnmarshalNDR(r *ndr.Reader) {
	readOptWString(r, &d.FileName)
	d.Mode = r.Uint32()
	readMIP(r, &d.IfdROT)
	readMIP(r, &d.IfdStg)
	r.Tail(r.PtrAlign())
}

// RemoteRequestSCMInfo is customREMOTE_REQUEST_SCM_INFO, [MS-DCOM] 2.2.22.2.4.1.
type RemoteRequestSCMInfo struct {
	ClientImpLevel    uint32
	RequestedProtseqs []uint16 // should include TowerNCACNIPTCP
}

// MarshalNDR writes the structure and its deferred protseq array.
func (d *RemoteRequestSCMInfo) MarshalNDR(w *ndr.Writer) {
	w.Uint32(d.ClientImpLevel)
	w.Uint16(uint16(len(d.RequestedProtseqs)))
	w.Pointer(d.RequestedProtseqs != nil, func(w *ndr.Writer) { writeArray(w, d.RequestedProtseqs, (*ndr.Writer).Uint16) })
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure, enforcing range(0, MAX_REQUESTED_PROTSEQS).
func (d *RemoteRequestSCMInfo) UnmarshalNDR(r *ndr.Reader) {
	r.Align(r.PtrAlign())
	d.ClientImpLevel = r.Uint32()
	n := int(r.Uint16())
	if n > MaxRequestedProtseqs {
		r.Failf("customREMOTE_REQUEST_SCM_INFO: cRequestedProtseqs %d out of range", n)
	}
	present := r.Pointer(func(r *ndr.Reader) {
		d.RequestedProtseqs = readArray(r, n, 2, "pRequestedProtseqs", (*ndr.Reader).Uint16)
	})
	r.CheckNull(present, n)
	r.Tail(r.PtrAlign())
}

// ScmRequestInfoData is [MS-DCOM] 2.2.22.2.4. RemoteRequest must not be nil.
type ScmRequestInfoData struct {
	PdwReserved   *uint32
	RemoteRequest *RemoteRequestSCMInfo
}

// MarshalNDR writes the structure.
func (d *ScmRequestInfoData) MarshalNDR(w *ndr.Writer) {
	writeOptU32(w, d.PdwReserved)
	w.Pointer(d.RemoteRequest != nil, func(w *ndr.Writer) { d.RemoteRequest.MarshalNDR(w) })
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure; a NULL remoteRequest is invalid.
func (d *ScmRequestInfoData) UnmarshalNDR(r *ndr.Reader) {
	readOptU32(r, &d.PdwReserved)
	if !r.Pointer(func(r *ndr.Reader) {
		d.RemoteRequest = new(RemoteRequestSCMInfo)
		d.RemoteRequest.UnmarshalNDR(r)
	}) && r.OK() {
		r.Failf("ScmRequestInfoData: NULL remoteRequest")
	}
	r.Tail(r.PtrAlign())
}

// ActivationContextInfoData is [MS-DCOM] 2.2.22.2.5. ClientCtx may be nil:
// impacket sends NULL and Windows accepts it (wire contract §9.6).
type ActivationContextInfoData struct {
	ClientOK     int32
	BReserved1   int32
	DwReserved1  uint32
	DwReserved2  uint32
	ClientCtx    *MInterfacePointer // OBJREF_CUSTOM of a Context
	PrototypeCtx *MInterfacePointer
}

// MarshalNDR writes the structure.
func (d *ActivationContextInfoData) MarshalNDR(w *ndr.Writer) {
	w.Int32(d.ClientOK)
	w.Int32(d.BReserved1)
	w.Uint32(d.DwReserved1)
	w.Uint32(d.DwReserved2)
	writeMIP(w, d.ClientCtx)
	writeMIP(w, d.PrototypeCtx)
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure.
func (d *ActivationContextInfoData) UnmarshalNDR(r *ndr.Reader) {
	r.Align(r.PtrAlign())
	d.ClientOK, d.BReserved1 = r.Int32(), r.Int32()
	d.DwReserved1, d.DwReserved2 = r.Uint32(), r.Uint32()
	readMIP(r, &d.ClientCtx)
	readMIP(r, &d.PrototypeCtx)
	r.Tail(r.PtrAlign())
}

// LocationInfoData is [MS-DCOM] 2.2.22.2.6 (ignored by servers).
type LocationInfoData struct {
	MachineName *string
	ProcessID   uint32
	ApartmentID uint32
	ContextID   uint32
}

// MarshalNDR writes the structure.
func (d *LocationInfoData) MarshalNDR(w *ndr.Writer) {
	writeOptWString(w, d.MachineName)
	w.Uint32(d.ProcessID)
	w.Uint32(d.ApartmentID)
	w.Uint32(d.ContextID)
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure.
func (d *LocationInfoData) UnmarshalNDR(r *ndr.Reader) {
	readOptWString(r, &d.MachineName)
	d.ProcessID, d.ApartmentID, d.ContextID = r.Uint32(), r.Uint32(), r.Uint32()
	r.Tail(r.PtrAlign())
}

// COServerInfo is COSERVERINFO, [MS-DCOM] 2.2.22.2.7.1 (ignored by servers).
type COServerInfo struct {
	DwReserved1 uint32
	Name        *string
	PdwReserved *uint32
	DwReserved2 uint32
}

// MarshalNDR writes the structure.
func (d *COServerInfo) MarshalNDR(w *ndr.Writer) {
	w.Uint32(d.DwReserved1)
	writeOptWString(w, d.Name)
	writeOptU32(w, d.PdwReserved)
	w.Uint32(d.DwReserved2)
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure.
func (d *COServerInfo) UnmarshalNDR(r *ndr.Reader) {
	r.Align(r.PtrAlign())
	d.DwReserved1 = r.Uint32()
	readOptWString(r, &d.Name)
	readOptU32(r, &d.PdwReserved)
	d.DwReserved2 = r.Uint32()
	r.Tail(r.PtrAlign())
}

// SecurityInfoData is [MS-DCOM] 2.2.22.2.7 (ignored by servers).
type SecurityInfoData struct {
	AuthnFlags  uint32
	ServerInfo  *COServerInfo
	PdwReserved *uint32
}

// MarshalNDR writes the structure.
func (d *SecurityInfoData) MarshalNDR(w *ndr.Writer) {
	w.Uint32(d.AuthnFlags)
	w.Pointer(d.ServerInfo != nil, func(w *ndr.Writer) { d.ServerInfo.MarshalNDR(w) })
	writeOptU32(w, d.PdwReserved)
	w.Tail(w.PtrAlign())
}

// UnmarshalNDR reads the structure.
func (d *SecurityInfoData) UnmarshalNDR(r *ndr.Reader) {
	d.AuthnFlags = r.Uint32()
	r.Pointer(func(r *ndr.Reader) {
		d.ServerInfo = new(COServerInfo)
		d.ServerInfo.UnmarshalNDR(r)
	})
	readOptU32(r, &d.PdwReserved)
	r.Tail(r.PtrAlign())
}
