package iiss

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/iisctl/iisctl/internal/dcom"
	"github.com/iisctl/iisctl/internal/iisswire"
	"github.com/iisctl/iisctl/ndr"
)

// clientConn performs one call on a remote IIisServiceControl object.
// The DCOM layer implements it: it writes ORPCTHIS, calls req to write
// the parameters, sends the request, and after ORPCTHAT hands the
// response to resp. Faults and transport failures are returned as
// errors; resp's error is returned as is.
type clientConn interface {
	Call(ctx context.Context, opnum uint16, req func(*ndr.Writer), resp func(*ndr.Reader) error) error
}

// Client is a connection to the IIisServiceControl object of one server
// (a Windows IIS host or iissd), made by [Dial]. It implements
// [Service]; answers the server reported as failures come back as errors
// wrapping the [HRESULT], and [Classify] and errors.Is with the Err
// sentinels say what went wrong. A Client is safe for concurrent use;
// calls on it are serialized on one connection. Close it when done.
type Client struct {
	conn   clientConn
	status statusFetchOptions
	itf    *dcom.Interface // nil for a Client over a test clientConn
	addr   string          // the object exporter's address
	// statusHint is the dwBufferSize the next Status starts with: the
	// size the last successful answer said it needed, plus slack (0
	// until then). Warm calls thus move a few hundred bytes instead of
	// the initial guess.
	statusHint atomic.Uint32
	mech       Mechanism // how Dial authenticated
}

// Mechanism says how the client authenticated (Kerberos or NTLM, through
// which provider, and why negotiate fell back to NTLM).
func (c *Client) Mechanism() Mechanism { return c.mech }

// newClient returns a Client over conn; status tunes the Status retry loop.
func newClient(conn clientConn, status statusFetchOptions) *Client {
	return &Client{conn: conn, status: status}
}

var _ Service = (*Client)(nil)

func (c *Client) resultCall(ctx context.Context, op uint16, req func(*ndr.Writer)) error {
	var hr HRESULT
	err := c.conn.Call(ctx, op, req, func(r *ndr.Reader) (err error) {
		hr, err = iisswire.DecodeResultResponse(r)
		return err
	})
	if err != nil {
		return classified(err)
	}
	return hr.Err()
}

// Stop stops the Internet services within timeout; with force, what has
// not stopped by then is killed ([MS-IISS] 3.1.4.1, opnum 7).
func (c *Client) Stop(ctx context.Context, timeout time.Duration, force bool) error {
	return c.resultCall(ctx, iisswire.OpStop, func(w *ndr.Writer) { iisswire.EncodeStopRequest(w, timeout, force) })
}

// Start starts the automatic Internet services within timeout
// ([MS-IISS] 3.1.4.2, opnum 8).
func (c *Client) Start(ctx context.Context, timeout time.Duration) error {
	return c.resultCall(ctx, iisswire.OpStart, func(w *ndr.Writer) { iisswire.EncodeStartRequest(w, timeout) })
}

// Reboot asks the server to restart the computer after timeout
// ([MS-IISS] 3.1.4.3, opnum 9). Windows answers E_NOTIMPL ([ErrNotImpl]).
func (c *Client) Reboot(ctx context.Context, timeout time.Duration, force bool) error {
	return c.resultCall(ctx, iisswire.OpReboot, func(w *ndr.Writer) { iisswire.EncodeRebootRequest(w, timeout, force) })
}

// Kill terminates the processes of the Internet services ([MS-IISS]
// 3.1.4.5, opnum 11).
func (c *Client) Kill(ctx context.Context) error {
	return c.resultCall(ctx, iisswire.OpKill, iisswire.EncodeKillRequest)
}

// Status reports every Internet service ([MS-IISS] 3.1.4.4, opnum 10),
// growing the buffer as the server asks (the retry of [MS-IISS] 4.1).
// Later calls on the same Client start from the size the previous answer
// reported needing (with slack), not from the initial guess.
func (c *Client) Status(ctx context.Context) ([]ServiceStatus, error) {
	o := c.status
	if h := c.statusHint.Load(); h != 0 {
		o.InitialSize = h
	}
	list, err := fetchStatus(ctx, c.statusOnce, o)
	return list, classified(err)
}

// Restart is iisreset /RESTART: Stop (forcing, if force is set, what has
// not stopped within timeout) then Start within timeout. An error says
// which step failed ("restart: stop: …") and wraps the cause.
func (c *Client) Restart(ctx context.Context, timeout time.Duration, force bool) error {
	if err := c.Stop(ctx, timeout, force); err != nil {
		return fmt.Errorf("restart: stop: %w", err)
	}
	if err := c.Start(ctx, timeout); err != nil {
		return fmt.Errorf("restart: start: %w", err)
	}
	return nil
}

// Close releases the remote object ([MS-DCOM] 3.1.1.5.6.1.3) and closes
// the connections.
func (c *Client) Close() error {
	if c.itf == nil {
		return nil
	}
	return c.itf.Close()
}

// RemoteAddr is the address ("host:port") of the object exporter the
// calls go to: the server's dynamic DCOM port, not the activation port.
func (c *Client) RemoteAddr() string { return c.addr }

func (c *Client) statusOnce(ctx context.Context, size uint32) (iisswire.StatusResponse, error) {
	var resp iisswire.StatusResponse
	err := c.conn.Call(ctx, iisswire.OpStatus, func(w *ndr.Writer) { iisswire.EncodeStatusRequest(w, size) },
		func(r *ndr.Reader) (err error) {
			resp, err = iisswire.DecodeStatusResponse(r, size)
			return err
		})
	if err == nil && !resp.Result.Failed() && resp.RequiredSize > 0 && resp.RequiredSize <= size {
		c.statusHint.Store(statusSizeHint(resp.RequiredSize, size))
	}
	return resp, err
}

// statusSizeHint is the next dwBufferSize after an answer that needed
// required bytes of size: a quarter more plus 64, in 64-byte steps, so a
// service changing state or a slightly longer list still fits; never
// more than size, which worked.
func statusSizeHint(required, size uint32) uint32 {
	h := (uint64(required) + uint64(required)/4 + 64 + 63) &^ 63
	return uint32(min(h, uint64(size)))
}
