package hresult

import (
	"errors"
	"fmt"
	"testing"
)

func TestHRESULT(t *testing.T) {
	if FromWin32(0x10D5) != ERROR_RESOURCE_DISABLED || FromWin32(8) != E_ERROR_NOT_ENOUGH_MEMORY || FromWin32(0) != S_OK {
		t.Fatal("FromWin32")
	}
	if got := DISP_E_BADINDEX.Error(); got != "hresult: DISP_E_BADINDEX (0x8002000B)" {
		t.Fatalf("Error() = %q", got)
	}
	if got := HRESULT(0xA0001234).String(); got != "HRESULT 0xA0001234" {
		t.Fatalf("String() = %q", got)
	}
	wrapped := fmt.Errorf("stop: %w", ERROR_SERVICE_REQUEST_TIMEOUT_ALT)
	if !errors.Is(wrapped, ERROR_SERVICE_REQUEST_TIMEOUT) || errors.Is(wrapped, E_FAIL) {
		t.Fatal("Is does not fold the two timeout codes, or matches another")
	}
	if S_FALSE.Err() != nil || E_FAIL.Err() == nil {
		t.Fatal("Err")
	}
}
