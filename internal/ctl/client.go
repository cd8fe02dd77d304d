package ctl

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// DefaultTimeout bounds a Client's exchange when its context has no deadline.
const DefaultTimeout = 30 * time.Second

// Client talks to a running iissd over its control socket.
type Client struct {
	// Path is the socket, normally SocketPath(state directory).
	Path string
}

// Do sends one request and returns the server's successful response;
// a refusal or failure is a *RemoteError. When no iissd listens at Path
// the error wraps ErrNotRunning; a socket this user may not open wraps
// ErrAccessDenied.
func (c Client) Do(ctx context.Context, req Request) (*Response, error) {
	if _, hasDeadline := ctx.Deadline(); !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.Path)
	if err != nil {
		return nil, dialError(c.Path, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ctl: %w", err)
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return nil, c.ioError(ctx, err)
	}
	line, err := bufio.NewReader(io.LimitReader(conn, MaxResponse)).ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) >= MaxResponse {
			return nil, errResponseTooLong
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the connection closed before a full response", ErrProtocol)
		}
		return nil, c.ioError(ctx, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if !resp.OK {
		if resp.Code == "" || resp.Error == "" {
			return nil, fmt.Errorf("%w: a failure without code or message", ErrProtocol)
		}
		return nil, &RemoteError{Code: resp.Code, Message: resp.Error}
	}
	return &resp, nil
}

func (c Client) ioError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("ctl: %s: %w", c.Path, ctx.Err())
	}
	return fmt.Errorf("ctl: %s: %w", c.Path, err)
}

// dialError classifies a failed connect: nothing there (or a stale
// socket nobody listens on) is ErrNotRunning; a permission error is
// ErrAccessDenied.
func dialError(path string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w: %s: %w", ErrNotRunning, path, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: %s: only root and iissd's user may use the control socket: %w", ErrAccessDenied, path, err)
	}
	return fmt.Errorf("ctl: %s: %w", path, err)
}

// Status asks for the named services (all if none).
func (c Client) Status(ctx context.Context, names ...string) (*Response, error) {
	return c.Do(ctx, Request{Op: OpStatus, Services: names})
}

// SetDisabled disables (true) or enables remote control in the running
// server and returns its message.
func (c Client) SetDisabled(ctx context.Context, disabled bool) (string, error) {
	op := OpEnable
	if disabled {
		op = OpDisable
	}
	r, err := c.Do(ctx, Request{Op: op})
	if err != nil {
		return "", err
	}
	if r.Disabled == nil || *r.Disabled != disabled {
		return "", fmt.Errorf("%w: %s answered without the new state", ErrProtocol, op)
	}
	return r.Message, nil
}

// AddUser adds (or replaces) an account in the running server's users file.
func (c Client) AddUser(ctx context.Context, user, domain string, ntHash [16]byte, admin bool) (string, error) {
	r, err := c.Do(ctx, Request{Op: OpUserAdd, User: user, Domain: domain, NTHash: hex.EncodeToString(ntHash[:]), Admin: admin})
	if err != nil {
		return "", err
	}
	return r.Message, nil
}

// DelUser removes an account from the running server's users file.
func (c Client) DelUser(ctx context.Context, user, domain string) (string, error) {
	r, err := c.Do(ctx, Request{Op: OpUserDel, User: user, Domain: domain})
	if err != nil {
		return "", err
	}
	return r.Message, nil
}

// ListUsers lists the running server's accounts.
func (c Client) ListUsers(ctx context.Context) ([]User, error) {
	r, err := c.Do(ctx, Request{Op: OpUserList})
	if err != nil {
		return nil, err
	}
	return r.Users, nil
}

// Reload has the running server re-read its users file.
func (c Client) Reload(ctx context.Context) (string, error) {
	r, err := c.Do(ctx, Request{Op: OpReload})
	if err != nil {
		return "", err
	}
	return r.Message, nil
}
