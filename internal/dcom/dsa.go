package dcom

import (
	"fmt"
	"unicode/utf16"

	"github.com/iisctl/iisctl/ndr"
)

// StringBinding is STRINGBINDING, [MS-DCOM] 2.2.19.3: a protocol sequence
// and a network address, "host" for resolvers, "host[port]" for exporters.
type StringBinding struct {
	TowerID     uint16 // TowerNCACNIPTCP; never 0
	NetworkAddr string
}

// SecurityBinding is SECURITYBINDING, [MS-DCOM] 2.2.19.4. The Reserved
// field is sent as 0xFFFF and ignored on receipt.
type SecurityBinding struct {
	AuthnSvc  uint16 // AuthnWinNT, AuthnGSSNego, ...; never 0
	PrincName string // "" for no SPN
}

// DualStringArray is DUALSTRINGARRAY, [MS-DCOM] 2.2.19: string bindings
// then security bindings, each list ended by a zero. It has two wire
// forms: packed inside an OBJREF (AppendPacked, parsePackedDSA) and an
// NDR conformant structure as an RPC parameter (MarshalNDR).
type DualStringArray struct {
	StringBindings   []StringBinding
	SecurityBindings []SecurityBinding
}

// words returns aStringArray and wSecurityOffset. An empty list is sent
// as an empty entry plus the terminator (2.2.19.1).
func (d *DualStringArray) words() (a []uint16, secOff int) {
	for _, s := range d.StringBindings {
		a = wz(append(a, s.TowerID), s.NetworkAddr)
	}
	if len(d.StringBindings) == 0 {
		a = append(a, 0)
	}
	a = append(a, 0)
	secOff = len(a)
	for _, s := range d.SecurityBindings {
		a = wz(append(a, s.AuthnSvc, SecBindingResv), s.PrincName)
	}
	if len(d.SecurityBindings) == 0 {
		a = append(a, 0)
	}
	return append(a, 0), secOff
}

// wzString reads a NUL-terminated UTF-16 string at a[*i:], advancing *i
// past the NUL.
func wzString(a []uint16, i *int) (string, error) {
	for j := *i; j < len(a); j++ {
		if a[j] == 0 {
			s := string(utf16.Decode(a[*i:j]))
			*i = j + 1
			return s, nil
		}
	}
	return "", fmt.Errorf("unterminated string at entry %d", *i)
}

// section checks that a list section ends with its zero terminator and
// reports whether it is the empty form {0, 0}.
func section(a []uint16, what string) (body []uint16, empty bool, err error) {
	if len(a) == 0 || a[len(a)-1] != 0 {
		return nil, false, fmt.Errorf("%s not terminated by a zero", what)
	}
	body = a[:len(a)-1]
	return body, len(body) == 1 && body[0] == 0, nil
}

// parseDSAWords interprets aStringArray with the given security offset.
func parseDSAWords(a []uint16, secOff int) (DualStringArray, error) {
	var d DualStringArray
	if secOff < 1 || secOff > len(a) {
		return d, fmt.Errorf("wSecurityOffset %d outside %d entries", secOff, len(a))
	}
	body, empty, err := section(a[:secOff], "string bindings")
	for i := 0; err == nil && !empty && i < len(body); {
		sb := StringBinding{TowerID: body[i]}
		if sb.TowerID == 0 {
			return d, fmt.Errorf("empty STRINGBINDING at entry %d", i)
		}
		i++
		if sb.NetworkAddr, err = wzString(body, &i); err == nil {
			d.StringBindings = append(d.StringBindings, sb)
		}
	}
	if err != nil {
		return d, err
	}
	return d, parseSecBindings(a[secOff:], &d)
}

func parseSecBindings(a []uint16, d *DualStringArray) error {
	body, empty, err := section(a, "security bindings")
	for i := 0; err == nil && !empty && i < len(body); {
		sb := SecurityBinding{AuthnSvc: body[i]}
		if sb.AuthnSvc == 0 || i+1 >= len(body) {
			return fmt.Errorf("malformed SECURITYBINDING at entry %d", i)
		}
		i += 2 // wAuthnSvc, Reserved (ignored)
		if sb.PrincName, err = wzString(body, &i); err == nil {
			d.SecurityBindings = append(d.SecurityBindings, sb)
		}
	}
	return err
}

// AppendPacked appends the packed form (2.2.19.1) to b.
func (d *DualStringArray) AppendPacked(b []byte) []byte {
	a, secOff := d.words()
	b = put16(b, uint16(len(a)))
	b = put16(b, uint16(secOff))
	for _, c := range a {
		b = put16(b, c)
	}
	return b
}

// PackedLen is the length of the packed form in bytes.
func (d *DualStringArray) PackedLen() int {
	a, _ := d.words()
	return 4 + 2*len(a)
}

// readPacked reads the packed form from p.
func (d *DualStringArray) readPacked(p *packedReader) {
	n, secOff := int(p.u16()), int(p.u16())
	raw := p.take(2 * n)
	if raw == nil {
		return
	}
	a := make([]uint16, n)
	for i := range a {
		a[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	v, err := parseDSAWords(a, secOff)
	if err != nil {
		p.failf("DUALSTRINGARRAY: %v", err)
		return
	}
	*d = v
}

// MarshalNDR writes the IDL form (2.2.19.2), a conformant structure.
func (d *DualStringArray) MarshalNDR(w *ndr.Writer) {
	a, secOff := d.words()
	if len(a) > 0xFFFF {
		w.Fail(fmt.Errorf("dcom: DUALSTRINGARRAY of %d entries", len(a)))
	}
	w.Count(len(a))
	w.Uint16(uint16(len(a)))
	w.Uint16(uint16(secOff))
	for _, c := range a {
		w.Uint16(c)
	}
	w.Tail(2)
}

// UnmarshalNDR reads the IDL form, checking size_is(wNumEntries).
func (d *DualStringArray) UnmarshalNDR(r *ndr.Reader) {
	max := r.Count()
	n, secOff := int(r.Uint16()), int(r.Uint16())
	if r.OK() && max != n {
		r.Failf("DUALSTRINGARRAY: wNumEntries %d but conformance %d", n, max)
		return
	}
	if !r.CheckSize(n, 2) {
		return
	}
	a := make([]uint16, n)
	for i := range a {
		a[i] = r.Uint16()
	}
	r.Tail(2)
	if !r.OK() {
		return
	}
	v, err := parseDSAWords(a, secOff)
	if err != nil {
		r.Failf("DUALSTRINGARRAY: %v", err)
		return
	}
	*d = v
}
