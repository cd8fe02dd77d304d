package dcom

import (
	"encoding/binary"
	"fmt"

	"github.com/iisctl/iisctl/ndr"
)

// Property is one activation property as it travels: its CLSID and its
// Type Serialization Version 1 stream ([MS-DCOM] 2.2.22).
type Property struct {
	CLSID  ndr.GUID
	Stream []byte
}

// EncodeActivationBlob builds the activation properties BLOB of [MS-DCOM]
// 2.2.22, {dwSize, dwReserved, CustomHeader, properties}, computing
// totalSize, headerSize and pSizes.
func EncodeActivationBlob(destCtx uint32, props []Property) ([]byte, error) {
	h := &CustomHeader{DestCtx: destCtx, CLSIDs: make([]ndr.GUID, len(props)), Sizes: make([]uint32, len(props))}
	total := 0
	for i, p := range props {
		h.CLSIDs[i], h.Sizes[i] = p.CLSID, uint32(len(p.Stream))
		total += len(p.Stream)
	}
	hdr, err := ndr.EncodeTS1(h)
	if err != nil {
		return nil, err
	}
	h.HeaderSize = uint32(len(hdr))
	h.TotalSize = uint32(len(hdr) + total)
	if hdr, err = ndr.EncodeTS1(h); err != nil {
		return nil, err
	}
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, 8+int(h.TotalSize)), h.TotalSize)
	b = append(binary.LittleEndian.AppendUint32(b, 0), hdr...)
	for _, p := range props {
		b = append(b, p.Stream...)
	}
	return b, nil
}

// DecodeActivationBlob splits an activation properties BLOB into its
// header and property streams, walking pSizes. It checks that dwSize,
// totalSize, headerSize and pSizes agree with each other and with the
// bytes present.
func DecodeActivationBlob(b []byte) (*CustomHeader, []Property, error) {
	if len(b) < 8 {
		return nil, nil, badActivation("BLOB of %d bytes", len(b))
	}
	size := binary.LittleEndian.Uint32(b)
	body := b[8:]
	if uint64(size) > uint64(len(body)) {
		return nil, nil, badActivation("dwSize %d exceeds the %d bytes present", size, len(body))
	}
	body = body[:size]
	h := new(CustomHeader)
	if err := ndr.DecodeTS1(body, h); err != nil {
		return nil, nil, fmt.Errorf("dcom: CustomHeader: %w", err)
	}
	if h.TotalSize != size || h.HeaderSize < ndr.TS1HeaderLen || h.HeaderSize > size {
		return nil, nil, badActivation("totalSize %d, headerSize %d, dwSize %d", h.TotalSize, h.HeaderSize, size)
	}
	off := uint64(h.HeaderSize)
	props := make([]Property, len(h.CLSIDs))
	for i, n := range h.Sizes {
		if off+uint64(n) > uint64(size) {
			return nil, nil, badActivation("property %d of %d bytes runs past dwSize %d", i, n, size)
		}
		props[i] = Property{CLSID: h.CLSIDs[i], Stream: body[off : off+uint64(n)]}
		off += uint64(n)
	}
	if off != uint64(size) {
		return nil, nil, badActivation("properties end at %d, dwSize is %d", off, size)
	}
	return h, props, nil
}

func badActivation(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadActivation, fmt.Sprintf(format, args...))
}

// propEntry binds a property CLSID to a typed value.
type propEntry struct {
	clsid ndr.GUID
	m     ndr.Marshaler   // nil when the property is absent
	u     ndr.Unmarshaler // a fresh value to decode into
}

// encodeProps serializes the present entries in order (defaulting to the
// entries' order), with unknown properties kept where Order puts them.
func encodeProps(order []ndr.GUID, entries []propEntry, unknown []Property) ([]Property, error) {
	if order == nil {
		for _, e := range entries {
			if e.m != nil {
				order = append(order, e.clsid)
			}
		}
		for _, p := range unknown {
			order = append(order, p.CLSID)
		}
	}
	out := make([]Property, 0, len(order))
	for _, c := range order {
		p, err := encodeProp(c, entries, unknown)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func encodeProp(c ndr.GUID, entries []propEntry, unknown []Property) (Property, error) {
	for _, e := range entries {
		if e.clsid == c && e.m != nil {
			s, err := ndr.EncodeTS1(e.m)
			return Property{CLSID: c, Stream: s}, err
		}
	}
	for _, p := range unknown {
		if p.CLSID == c {
			return p, nil
		}
	}
	return Property{}, fmt.Errorf("dcom: property %s in Order but not set", c)
}

// decodeProps decodes each known property into its entry and returns the
// property order and the unknown properties. A duplicate CLSID is invalid.
func decodeProps(props []Property, entries []propEntry) (order []ndr.GUID, unknown []Property, err error) {
	seen := make(map[ndr.GUID]bool, len(props))
	for _, p := range props {
		if seen[p.CLSID] {
			return nil, nil, badActivation("duplicate property %s", p.CLSID)
		}
		seen[p.CLSID] = true
		order = append(order, p.CLSID)
		e := findEntry(entries, p.CLSID)
		if e == nil {
			unknown = append(unknown, Property{CLSID: p.CLSID, Stream: append([]byte{}, p.Stream...)})
			continue
		}
		if err := ndr.DecodeTS1(p.Stream, e.u); err != nil {
			return nil, nil, fmt.Errorf("dcom: property %s: %w", p.CLSID, err)
		}
	}
	return order, unknown, nil
}

func findEntry(entries []propEntry, c ndr.GUID) *propEntry {
	for i := range entries {
		if entries[i].clsid == c {
			return &entries[i]
		}
	}
	return nil
}

// wrapBlob puts an encoded BLOB in its OBJREF_CUSTOM and MInterfacePointer.
func wrapBlob(iid, clsid ndr.GUID, blob []byte) *MInterfacePointer {
	return NewMInterfacePointer(NewCustomObjRef(iid, clsid, blob))
}

// unwrapBlob checks the OBJREF_CUSTOM around a BLOB and returns the BLOB.
func unwrapBlob(m *MInterfacePointer, iid, clsid ndr.GUID) ([]byte, error) {
	if m == nil {
		return nil, badActivation("NULL activation properties")
	}
	o, err := m.ObjRef()
	if err != nil {
		return nil, err
	}
	if o.Flags != ObjRefCustom || o.CLSID != clsid || o.IID != iid {
		return nil, badActivation("OBJREF flags %d iid %s clsid %s", o.Flags, o.IID, o.CLSID)
	}
	return o.ObjectData, nil
}
