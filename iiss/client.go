package iiss

import (
	"context"
	"sync/atomic"
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
	// statusHint is the dwBufferSize the next Status starts with: the
	// size the last successful answer said it needed, plus slack (0
	// until then). Warm calls thus move a few hundred bytes instead of
	// the initial guess.
	statusHint atomic.Uint32
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
// Later calls on the same Client start from the size the previous answer
// reported needing (with slack), not from the initial guess.
func (c *Client) Status(ctx context.Context) ([]ServiceStatus, error) {
	o := c.status
	if h := c.statusHint.Load(); h != 0 {
		o.InitialSize = h
	}
	return FetchStatus(ctx, c.statusCall, o)
}

func (c *Client) statusCall(ctx context.Context, size uint32) (StatusResponse, error) {
	var resp StatusResponse
	err := c.conn.Call(ctx, OpStatus, func(w *ndr.Writer) { EncodeStatusRequest(w, size) },
		func(r *ndr.Reader) (err error) {
			resp, err = DecodeStatusResponse(r, size)
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
