package iisreset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/hresult"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
)

func TestDescribe(t *testing.T) {
	const timeoutText = "The service did not respond to the start or control request in a timely fashion."
	dialRefused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"access denied", iiss.E_ACCESSDENIED, AccessDeniedText + " (2147942405, 80070005)"},
		{"access denied fault (the RPC logon)", &rpc.FaultError{Status: rpc.StatusAccessDenied}, "Logon failure: unknown user name or bad password. (2147943726, 8007052e)"},
		{"access denied HRESULT fault", &rpc.FaultError{Status: uint32(iiss.E_ACCESSDENIED)}, AccessDeniedText + " (2147942405, 80070005)"},
		{"timeout wrapped", fmt.Errorf("stop: %w", iiss.ErrServiceRequestTimeout), timeoutText + " (2147943453, 8007041d)"},
		{"timeout alt", iiss.ERROR_SERVICE_REQUEST_TIMEOUT_ALT, timeoutText + " (2147484701, 8000041d)"},
		{"not implemented", iiss.ErrNotImpl, "Not implemented (2147500033, 80004001)"},
		{"disabled", iiss.ErrResourceDisabled, messages[iiss.ERROR_RESOURCE_DISABLED] + " (2147946709, 800710d5)"},
		{"dial refused", dialRefused, "The RPC server is unavailable: connection refused. (2147944122, 800706ba)"},
		{"dns", &net.DNSError{Err: "no such host", Name: "nowhere", IsNotFound: true}, "The RPC server is unavailable: the host name does not resolve. (2147944122, 800706ba)"},
		{"not rpc", &iiss.Error{Kind: iiss.KindNotRPC, Code: RPC_S_SERVER_UNAVAILABLE, Err: rpc.ErrMalformedPDU}, "The RPC server is unavailable: the port does not speak DCE/RPC. (2147944122, 800706ba)"},
		{"wrong port", &rpc.ContextRejectedError{Result: 2, Reason: 1}, "The RPC server is unavailable: the port is not DCOM activation. (2147944122, 800706ba)"},
		{"marked unavailable", fmt.Errorf("%w: %w", RPC_S_SERVER_UNAVAILABLE, errors.New("x")), "The RPC server is unavailable. (2147944122, 800706ba)"},
		{"logon", fmt.Errorf("bind: %w", ntlm.ErrLogonFailure), "Logon failure: unknown user name or bad password. (2147943726, 8007052e)"},
		{"rpc auth", rpc.ErrAuth, "Logon failure: unknown user name or bad password. (2147943726, 8007052e)"},
		{"nca fault", &rpc.FaultError{Status: rpc.StatusUnknownInterface}, "The remote procedure call failed: the server closed the connection. (2147944126, 800706be)"},
		{"hresult fault", &rpc.FaultError{Status: uint32(iiss.E_NOTIMPL)}, "Not implemented (2147500033, 80004001)"},
		{"authn nak", &rpc.BindNakError{Reason: rpc.NakAuthTypeNotRecognized}, "The authentication service is unknown. (2147944147, 800706d3)"},
		{"busy nak", &rpc.BindNakError{Reason: rpc.NakTemporaryCongestion}, "The RPC server is too busy to complete this operation. (2147944123, 800706bb)"},
		{"other nak", &rpc.BindNakError{Reason: rpc.NakProtocolVersionNotSupp}, "The remote procedure call failed and did not execute: the port is not DCOM activation. (2147944127, 800706bf)"},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "The remote procedure call failed: the server closed the connection. (2147944126, 800706be)"},
		{"conn closed", rpc.ErrConnClosed, "The remote procedure call failed: the server closed the connection. (2147944126, 800706be)"},
		{"deadline", context.DeadlineExceeded, "This operation returned because the timeout period expired. (2147943860, 800705b4)"},
		{"canceled", context.Canceled, "The operation was canceled by the user. (2147943623, 800704c7)"},
		{"plain", errors.New("boom"), "boom (2147500037, 80004005)"},
		{"E_FAIL itself", iiss.E_FAIL, "Unspecified error (2147500037, 80004005)"},
		{"named", hresult.DISP_E_TYPEMISMATCH, "DISP_E_TYPEMISMATCH (2147614725, 80020005)"},
		{"unknown", iiss.HRESULT(0x80071234), "Unknown error (2147947060, 80071234)"},
	}
	for _, c := range cases {
		if got := Describe(c.err); got != c.want {
			t.Errorf("%s: Describe(%v)\n got %q\nwant %q", c.name, c.err, got, c.want)
		}
	}
}

func TestCodeNil(t *testing.T) {
	if h := Code(nil); h != iiss.S_OK {
		t.Fatalf("Code(nil) = %v", h)
	}
}

func TestRunnerHooks(t *testing.T) {
	var seen []error
	var out bytes.Buffer
	r := &Runner{Out: &out, Describe: Describe, ExitCode: func(err error) int { seen = append(seen, err); return 42 }}
	f := &fakeTarget{stopErr: iiss.E_ACCESSDENIED, rebootErr: iiss.E_NOTIMPL}
	o, _ := Parse([]string{"/rebootonerror"})
	if code := r.Run(context.Background(), f, o); code != 42 {
		t.Fatalf("exit %d, want the hook's 42", code)
	}
	want := "Attempting stop...\nRestart attempt failed.\n" + AccessDeniedText + " (2147942405, 80070005)\n" +
		"Attempting reboot...\nReboot attempt failed.\nNot implemented (2147500033, 80004001)\n"
	if out.String() != want {
		t.Fatalf("got %q\nwant %q", out.String(), want)
	}
	if len(seen) != 2 || seen[0] != iiss.E_ACCESSDENIED || seen[1] != iiss.E_NOTIMPL {
		t.Fatalf("hook saw %v", seen)
	}
}

func TestServiceIsTarget(t *testing.T) {
	var s iiss.Service
	var _ Target = s
}
