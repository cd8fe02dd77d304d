package ndr

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every decoding failure.
var ErrMalformed = errors.New("ndr: malformed or inconsistent stub")

// FaultBadStubData is RPC_X_BAD_STUB_DATA, the fault status for a stub
// that fails decoding or the consistency checks ([MS-RPCE] 3.1.1.5.3).
const FaultBadStubData uint32 = 0x000006F7

// Error describes where a stub failed to decode.
type Error struct {
	Offset int    // byte offset in the stub
	Msg    string // what was wrong
}

func (e *Error) Error() string { return fmt.Sprintf("ndr: at offset %d: %s", e.Offset, e.Msg) }

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *Error) Unwrap() error { return ErrMalformed }

// RPCFaultStatus is the fault an RPC server sends for this error.
func (e *Error) RPCFaultStatus() uint32 { return FaultBadStubData }
