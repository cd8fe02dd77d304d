package iiss

import (
	"context"
	"time"

	"github.com/iisctl/iisctl/ndr"
)

// ClientConn performs one call on a remote IIisServiceControl object.
// The DCOM layer implements it: it writes ORPCTHIS, calls req to write
// the parameters, sends the request, and after ORPCTHAT hands the
// response to resp. Faults and transport failures are returned as
// errors; resp's error is returned as is.
type ClientConn interface {
	Call(ctx context.Context, opnum uint16, req func(*ndr.Writer), resp func(*ndr.Reader) error) error
}

// Client is the wire implementation of Service over a ClientConn. Server
// answers come back as errors wrapping the HRESULT.
type Client struct {
	conn   ClientConn
	status StatusFetchOptions
}

// NewClient returns a Client; status tunes the Status retry loop.
func NewClient(conn ClientConn, status StatusFetchOptions) *Client {
	return &Client{conn: conn, status: status}
}

var _ Service = (*Client)(nil)

func (c *Client) resultCall(ctx context.Context, op uint16, req func(*ndr.Writer)) error {
	var hr HRESULT
	err := c.conn.Call(ctx, op, req, func(r *ndr.Reader) (err error) {
		hr, err = DecodeResultResponse(r)
		return err
	})
	if err != nil {
		return err
	}
	return hr.Err()
}

// Stop implements Service (opnum 7).
func (c *Client) Stop(ctx context.Context, timeout time.Duration, force bool) error {
	return c.resultCall(ctx, OpStop, func(w *ndr.Writer) { EncodeStopRequest(w, timeout, force) })
}

// Start implements Service (opnum 8).
func (c *Client) Start(ctx context.Context, timeout time.Duration) error {
	return c.resultCall(ctx, OpStart, func(w *ndr.Writer) { EncodeStartRequest(w, timeout) })
}

// Reboot implements Service (opnum 9).
func (c *Client) Reboot(ctx context.Context, timeout time.Duration, force bool) error {
	return c.resultCall(ctx, OpReboot, func(w *ndr.Writer) { EncodeRebootRequest(w, timeout, force) })
}

// Kill implements Service (opnum 11).
func (c *Client) Kill(ctx context.Context) error {
	return c.resultCall(ctx, OpKill, EncodeKillRequest)
}

// Status implements Service (opnum 10) with the [FetchStatus] loop.
func (c *Client) Status(ctx context.Context) ([]ServiceStatus, error) {
	return FetchStatus(ctx, c.statusCall, c.status)
}

func (c *Client) statusCall(ctx context.Context, size uint32) (StatusResponse, error) {
	var resp StatusResponse
	err := c.conn.Call(ctx, OpStatus, func(w *ndr.Writer) { EncodeStatusRequest(w, size) },
		func(r *ndr.Reader) (err error) {
			resp, err = DecodeStatusResponse(r, size)
			return err
		})
	return resp, err
}
