package dcom

import (
	"errors"
	"fmt"
)

// ErrBadActivation is wrapped by ParseActivationIn and ParseActivationOut
// when a BLOB is well-formed NDR but not a valid activation properties BLOB.
var ErrBadActivation = errors.New("dcom: invalid activation properties")

func errMismatch(what string) error {
	return fmt.Errorf("dcom: %s: correlated slices differ in length", what)
}
