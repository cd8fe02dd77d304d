package rpc

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// VTSignature starts a verification trailer ([MS-RPCE] 2.2.2.13).
var VTSignature = []byte{0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71}

// Verification trailer commands and flags ([MS-RPCE] 2.2.2.13.1).
const (
	VTCommandBitmask1             uint16 = 0x0001 // rpc_sec_vt_bitmask
	VTCommandPContext             uint16 = 0x0002 // rpc_sec_vt_pcontext
	VTCommandHeader2              uint16 = 0x0003 // rpc_sec_vt_header2
	VTCommandMask                 uint16 = 0x3FFF
	VTFlagEnd                     uint16 = 0x4000 // SEC_VT_COMMAND_END
	VTFlagMustProcess             uint16 = 0x8000 // SEC_VT_MUST_PROCESS_COMMAND
	VTClientSupportsHeaderSigning uint32 = 0x00000001
)

// VTCommand is one verification trailer command. Command includes the
// flag bits as on the wire; Marshal sets VTFlagEnd on the last one.
type VTCommand struct {
	Command uint16
	Value   []byte
}

// Type is the command without its flags.
func (c VTCommand) Type() uint16 { return c.Command & VTCommandMask }

// VerificationTrailer is rpc_sec_verification_trailer ([MS-RPCE] 2.2.2.13).
type VerificationTrailer struct {
	Commands []VTCommand
}

// VTPContext is the value of rpc_sec_vt_pcontext (0x28 bytes).
type VTPContext struct {
	Interface SyntaxID
	Transfer  SyntaxID
}

// VTHeader2 is the value of rpc_sec_vt_header2 (0x10 bytes).
type VTHeader2 struct {
	PType     PType
	Reserved  [3]byte
	DRep      [4]byte
	CallID    uint32
	ContextID uint16
	Opnum     uint16
}

// AppendTo appends the trailer to stub, 4-aligned from the stub start.
func (v *VerificationTrailer) AppendTo(stub []byte) []byte {
	stub = padTo(stub, 0, 4)
	stub = append(stub, VTSignature...)
	for i, c := range v.Commands {
		cmd := c.Command &^ VTFlagEnd
		if i == len(v.Commands)-1 {
			cmd |= VTFlagEnd
		}
		stub = appendU16(stub, cmd)
		stub = appendU16(stub, uint16(len(c.Value)))
		stub = append(stub, c.Value...)
	}
	return stub
}

// ParseVerificationTrailer decodes a trailer that starts with VTSignature
// and ends exactly at the end of b, its last command flagged END. The
// command values are copies, not slices of b.
func ParseVerificationTrailer(b []byte) (*VerificationTrailer, error) {
	if !bytes.HasPrefix(b, VTSignature) {
		return nil, fmt.Errorf("%w: no verification trailer signature", ErrMalformedPDU)
	}
	c := newCursor(b[len(VTSignature):], binary.LittleEndian)
	v := &VerificationTrailer{}
	for c.remaining() > 0 {
		cmd, n := c.u16(), int(c.u16())
		val := c.take(n)
		if c.failed() {
			return nil, fmt.Errorf("%w: truncated verification trailer command", ErrMalformedPDU)
		}
		// A copy: the trailer outlives the server's fragment buffer (Call keeps it).
		v.Commands = append(v.Commands, VTCommand{Command: cmd, Value: bytes.Clone(val)})
		if cmd&VTFlagEnd != 0 {
			if c.remaining() != 0 {
				return nil, fmt.Errorf("%w: bytes after verification trailer end", ErrMalformedPDU)
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("%w: verification trailer without end command", ErrMalformedPDU)
}

// FindVerificationTrailer scans the tail of a reassembled request stub for
// a verification trailer: the last 4-aligned signature from which a valid
// trailer runs to the end of the stub. It returns the trailer and its
// offset, or ok false.
func FindVerificationTrailer(stub []byte) (v *VerificationTrailer, off int, ok bool) {
	end := len(stub)
	for end > 0 {
		i := bytes.LastIndex(stub[:end], VTSignature)
		if i < 0 {
			return nil, 0, false
		}
		if i%4 == 0 {
			if v, err := ParseVerificationTrailer(stub[i:]); err == nil {
				return v, i, true
			}
		}
		end = i + len(VTSignature) - 1
	}
	return nil, 0, false
}

// vtFixedSize is the length of each command this implementation knows.
var vtFixedSize = map[uint16]int{VTCommandBitmask1: 4, VTCommandPContext: 0x28, VTCommandHeader2: 0x10}

// Check applies the receiver's rules of [MS-RPCE] 2.2.2.13: each length
// a multiple of 4, a known command exactly its fixed size, at most one
// instance of each command, and no unknown command flagged
// SEC_VT_MUST_PROCESS_COMMAND.
func (v *VerificationTrailer) Check() error {
	seen := map[uint16]bool{}
	for _, c := range v.Commands {
		t := c.Type()
		if len(c.Value)%4 != 0 {
			return fmt.Errorf("command 0x%04x: length %d is not a multiple of 4", c.Command, len(c.Value))
		}
		size, known := vtFixedSize[t]
		switch {
		case !known && c.Command&VTFlagMustProcess != 0:
			return fmt.Errorf("unknown must-process command 0x%04x", c.Command)
		case known && len(c.Value) != size:
			return fmt.Errorf("command 0x%04x: length %d, want %d", c.Command, len(c.Value), size)
		case seen[t]:
			return fmt.Errorf("command 0x%04x twice", c.Command)
		}
		seen[t] = true
	}
	return nil
}

// Bitmask returns the rpc_sec_vt_bitmask value, if present.
func (v *VerificationTrailer) Bitmask() (uint32, bool) {
	c, ok := v.find(VTCommandBitmask1, 4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(c.Value), true
}

// PContext returns the rpc_sec_vt_pcontext value, if present.
func (v *VerificationTrailer) PContext() (VTPContext, bool) {
	c, ok := v.find(VTCommandPContext, 0x28)
	if !ok {
		return VTPContext{}, false
	}
	cur := newCursor(c.Value, binary.LittleEndian)
	return VTPContext{Interface: cur.syntax(), Transfer: cur.syntax()}, true
}

// Header2 returns the rpc_sec_vt_header2 value, if present.
func (v *VerificationTrailer) Header2() (VTHeader2, bool) {
	c, ok := v.find(VTCommandHeader2, 0x10)
	if !ok {
		return VTHeader2{}, false
	}
	var h VTHeader2
	h.PType = PType(c.Value[0])
	copy(h.Reserved[:], c.Value[1:4])
	copy(h.DRep[:], c.Value[4:8])
	h.CallID = binary.LittleEndian.Uint32(c.Value[8:])
	h.ContextID = binary.LittleEndian.Uint16(c.Value[12:])
	h.Opnum = binary.LittleEndian.Uint16(c.Value[14:])
	return h, true
}

func (v *VerificationTrailer) find(t uint16, size int) (VTCommand, bool) {
	for _, c := range v.Commands {
		if c.Type() == t && len(c.Value) == size {
			return c, true
		}
	}
	return VTCommand{}, false
}

// BitmaskCommand builds rpc_sec_vt_bitmask.
func BitmaskCommand(bits uint32) VTCommand {
	return VTCommand{Command: VTCommandBitmask1, Value: appendU32(nil, bits)}
}

// PContextCommand builds rpc_sec_vt_pcontext (must-process).
func PContextCommand(p VTPContext) VTCommand {
	b := appendSyntax(nil, p.Interface)
	return VTCommand{Command: VTCommandPContext | VTFlagMustProcess, Value: appendSyntax(b, p.Transfer)}
}

// Header2Command builds rpc_sec_vt_header2 (must-process).
func Header2Command(h VTHeader2) VTCommand {
	b := append([]byte{byte(h.PType)}, h.Reserved[:]...)
	b = append(b, h.DRep[:]...)
	b = appendU32(b, h.CallID)
	b = appendU16(b, h.ContextID)
	b = appendU16(b, h.Opnum)
	return VTCommand{Command: VTCommandHeader2 | VTFlagMustProcess, Value: b}
}
