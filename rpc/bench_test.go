package rpc

import (
	"io"
	"net"
	"testing"
)

func BenchmarkMarshalRequest(b *testing.B) {
	p := &PDU{Header: hdr(PTypeRequest, 0), Body: &Request{ContextID: 1, Opnum: 10, Stub: make([]byte, 1024)}}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		buf, _, _ = p.marshal(buf[:0])
	}
}

func BenchmarkUnmarshalRequest(b *testing.B) {
	p := &PDU{Header: hdr(PTypeRequest, 0), Body: &Request{ContextID: 1, Opnum: 10, Stub: make([]byte, 1024)}}
	raw, _ := p.Marshal()
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		if _, err := Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopbackCall and BenchmarkRawTCPEcho move the same stub sizes
// over loopback TCP; their ratio is the RPC layer's overhead.
func BenchmarkLoopbackCall(b *testing.B) {
	for _, n := range []int{64, 4096} {
		b.Run(sizeName(n), func(b *testing.B) {
			_, addr := startServer(b, nil)
			c := dial(b, addr, nil)
			pc := mustBind(b, c, testIface, nil)
			stub := pattern(n)
			ctx := ctxT(b)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := c.Call(ctx, pc, 0, nil, stub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRawTCPEcho(b *testing.B) {
	for _, n := range []int{64, 4096} {
		b.Run(sizeName(n), func(b *testing.B) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			go func() {
				s, err := l.Accept()
				if err != nil {
					return
				}
				defer s.Close()
				buf := make([]byte, n)
				for {
					if _, err := io.ReadFull(s, buf); err != nil {
						return
					}
					if _, err := s.Write(buf); err != nil {
						return
					}
				}
			}()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			out, in := pattern(n), make([]byte, n)
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := c.Write(out); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return string(rune('0'+n/1024)) + "KiB"
	}
	return "64B"
}
