package systemd

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

type dialResult struct {
	conn *sd.Conn
	err  error
}

// dial connects to the systemd manager selected by cfg, bounded by ctx.
// godbus closes a connection when the context it was opened with ends, so
// the connection is opened with a detached context and ctx only bounds
// the wait; a connection that arrives too late is closed.
func dial(ctx context.Context, cfg Config) (*sd.Conn, error) {
	done := make(chan dialResult, 1)
	go func() {
		c, err := dialDetached(context.WithoutCancel(ctx), cfg)
		done <- dialResult{c, err}
	}()
	select {
	case r := <-done:
		return r.conn, r.err
	case <-ctx.Done():
		go closeLate(done)
		return nil, ctx.Err()
	}
}

func closeLate(done <-chan dialResult) {
	if r := <-done; r.conn != nil {
		r.conn.Close()
	}
}

// dialDetached connects and subscribes: systemd then sends JobRemoved
// for every job, including jobs another client queued that a StartUnit
// or StopUnit call merged with (and on its private socket, only then).
func dialDetached(ctx context.Context, cfg Config) (*sd.Conn, error) {
	var c *sd.Conn
	var err error
	if cfg.BusAddress == "" {
		c, err = sd.NewSystemConnectionContext(ctx)
	} else {
		c, err = sd.NewConnection(func() (*dbus.Conn, error) {
			return dialAddress(ctx, cfg.BusAddress, cfg.Direct)
		})
	}
	if err != nil {
		return nil, err
	}
	if err := c.Subscribe(); err != nil {
		c.Close()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return c, nil
}

// dialAddress opens one authenticated connection to addr; on a bus it
// says Hello, on systemd's private socket it waits for a Ping answer.
func dialAddress(ctx context.Context, addr string, direct bool) (*dbus.Conn, error) {
	conn, err := dbus.Dial(addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		conn.Close()
		return nil, err
	}
	if direct {
		err = pingUntilAnswered(conn, 25)
	} else {
		err = conn.Hello()
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// pingUntilAnswered works around systemd 252 leaving the first call after
// BEGIN unanswered on its private socket: Ping with a short timeout until
// one is answered, at most tries times.
func pingUntilAnswered(conn *dbus.Conn, tries int) error {
	obj := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	var err error
	for range tries {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err = obj.CallWithContext(ctx, "org.freedesktop.DBus.Peer.Ping", 0).Err
		cancel()
		if err == nil || !conn.Connected() {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("systemd: private socket does not answer: %w", err)
	}
	return nil
}
