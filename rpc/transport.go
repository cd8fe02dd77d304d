package rpc

import (
	"bufio"
	"fmt"
	"github.com/iisctl/iisctl/ndr"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
)

// transport frames fragments on a net.Conn and applies per-fragment
// protection. Reads and writes are each used by one goroutine at a time.
//
// Buffer ownership: with poolRequests set (the server), a request
// fragment that fits fragBufSize is read into a pooled buffer. The raw
// slice readFragment returns, and everything that aliases it (the PDU's
// stub and verifier, a single-fragment call's Call.Stub), belongs to the
// caller until it calls releaseFragment, which hands the buffer back to
// the pool (poisoned first in test binaries, so a reader that kept it
// sees garbage). Other fragments are freshly allocated and never reused:
// handshake tokens may be kept by security contexts (NTLM's MIC covers
// all three legs). Writes marshal into a pooled buffer that is returned
// as soon as the one Write of the PDU is done.
//
// With idleRelease set (the server), the read buffer is pooled too: when
// nothing is buffered, readFragment gives it back and waits for the
// socket to become readable without a buffer, so an idle connection holds
// none ([MS-RPCE] servers hold thousands of idle DCOM connections).
type transport struct {
	nc           net.Conn
	r            *bufio.Reader // one read syscall usually brings a whole fragment
	wmu          sync.Mutex
	poolRequests bool
	pooled       *[]byte // the pooled buffer of the fragment last read, if any
	// client rejects a header whose rpc_vers is not 5 before reading
	// the body (C706 12.6.3.1): the peer is not a DCE/RPC server (an
	// HTTP server's "HTTP/1.1 400" would otherwise read as a 13 KiB
	// fragment). The server answers such a bind with bind_nak instead.
	client      bool
	idleRelease bool
	rc          syscall.RawConn // for waiting without a buffer; nil if nc has none
	rcChecked   bool
	peek        [1]byte
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}

// releaseBuffers returns every pooled buffer; the transport reads no more.
func (t *transport) releaseBuffers() {
	t.releaseFragment()
	if t.idleRelease && t.r != nil {
		t.r.Reset(nil)
		readerPool.Put(t.r)
		t.r = nil
	}
}

// readBuffer makes t.r ready for the next fragment. With idleRelease, an
// empty buffer goes back to the pool while waiting for data.
func (t *transport) readBuffer() error {
	if t.idleRelease && !t.rcChecked {
		t.rcChecked = true
		if sc, ok := t.nc.(syscall.Conn); ok {
			t.rc, _ = sc.SyscallConn()
		}
	}
	if !t.idleRelease || t.rc == nil {
		if t.r == nil {
			t.r = bufio.NewReaderSize(t.nc, readBufSize)
		}
		return nil
	}
	if t.r != nil && t.r.Buffered() > 0 {
		return nil
	}
	if t.r != nil {
		t.r.Reset(nil)
		readerPool.Put(t.r)
		t.r = nil
	}
	if err := waitReadable(t.rc, t.peek[:]); err != nil {
		return err
	}
	t.r = readerPool.Get().(*bufio.Reader)
	t.r.Reset(t.nc)
	return nil
}

// readBufSize holds a default-size fragment (5840) and its successor's header.
const readBufSize = 8 << 10

// fragBufSize is the size of pooled fragment buffers: the default
// negotiated fragment (5840) fits; larger fragments are allocated.
const fragBufSize = 6 << 10

var fragPool = sync.Pool{New: func() any { b := make([]byte, fragBufSize); return &b }}

// writeBufMax is the largest write buffer kept in the pool.
const writeBufMax = 64 << 10

var writePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// poisonReleased fills released buffers in test binaries, so that a
// reference kept past releaseFragment reads 0xDB bytes instead of data
// that happens to be still intact.
var poisonReleased = testing.Testing()

// readFragment reads one whole fragment and decodes it. The returned raw
// slice (at most 65535 bytes) is aliased by the PDU; see [transport] for
// who owns it.
func (t *transport) readFragment() (*PDU, []byte, layout, error) {
	t.releaseFragment()
	if err := t.readBuffer(); err != nil {
		return nil, nil, layout{}, err
	}
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(t.r, hdr[:]); err != nil {
		return nil, nil, layout{}, err
	}
	h, err := ParseHeader(hdr[:])
	if err != nil {
		return nil, nil, layout{}, err
	}
	if t.client && h.Version != 5 {
		return nil, nil, layout{}, fmt.Errorf("%w: rpc_vers %d, not 5: the peer does not speak DCE/RPC", ErrMalformedPDU, h.Version)
	}
	var raw []byte
	if t.poolRequests && h.Type == PTypeRequest && int(h.FragLength) <= fragBufSize {
		t.pooled = fragPool.Get().(*[]byte)
		raw = (*t.pooled)[:h.FragLength]
	} else {
		raw = make([]byte, h.FragLength)
	}
	copy(raw, hdr[:])
	if _, err := io.ReadFull(t.r, raw[HeaderSize:]); err != nil {
		return nil, nil, layout{}, err
	}
	p, l, err := unmarshal(raw)
	return p, raw, l, err
}

// releaseFragment returns the pooled buffer of the last fragment read.
// Nothing may use that fragment's raw bytes, PDU stub or verifier after.
func (t *transport) releaseFragment() {
	if t.pooled == nil {
		return
	}
	if poisonReleased {
		b := (*t.pooled)[:fragBufSize]
		for i := range b {
			b[i] = 0xDB
		}
	}
	fragPool.Put(t.pooled)
	t.pooled = nil
}

// writePDU marshals p, protecting it with ac when ac calls for a verifier
// on this PDU type, and writes it in one Write.
func (t *transport) writePDU(p *PDU, ac *authContext) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	bp := writePool.Get().(*[]byte)
	b, err := protect((*bp)[:0], p, ac)
	if err == nil {
		_, err = t.nc.Write(b)
	}
	if cap(b) <= writeBufMax {
		*bp = b[:0]
		writePool.Put(bp)
	}
	return err
}

// callFrag describes what is common to the fragments of one call.
type callFrag struct {
	ptype  PType
	callID uint32
	ctxID  uint16
	opnum  uint16
	object *ndr.GUID
}

// sendStub writes stub as request or response fragments of at most
// maxFrag bytes each, every fragment carrying its own verifier.
func (t *transport) sendStub(f callFrag, stub []byte, ac *authContext, maxFrag int) error {
	chunk := stubChunk(f, ac, maxFrag)
	if chunk <= 0 {
		return fmt.Errorf("rpc: fragment size %d too small", maxFrag)
	}
	off := 0
	for {
		n := min(chunk, len(stub)-off)
		p := &PDU{Header: Header{Version: 5, Type: f.ptype, CallID: f.callID}}
		if off == 0 {
			p.Flags |= FlagFirstFrag
		}
		if off+n == len(stub) {
			p.Flags |= FlagLastFrag
		}
		hint := uint32(len(stub) - off)
		if f.ptype == PTypeRequest {
			p.Body = &Request{AllocHint: hint, ContextID: f.ctxID, Opnum: f.opnum, Object: f.object, Stub: stub[off : off+n]}
		} else {
			p.Body = &Response{AllocHint: hint, ContextID: f.ctxID, Stub: stub[off : off+n]}
		}
		if err := t.writePDU(p, ac); err != nil {
			return err
		}
		off += n
		if off == len(stub) {
			return nil
		}
	}
}

// stubChunk is the stub bytes per fragment: 16-aligned when a verifier
// follows (so no auth padding is needed but on the last), else 8-aligned.
func stubChunk(f callFrag, ac *authContext, maxFrag int) int {
	over := HeaderSize + 8
	if f.object != nil {
		over += 16
	}
	if ac.protects() {
		return (maxFrag - over - SecTrailerSize - ac.sc.SignatureSize()) &^ 15
	}
	return (maxFrag - over) &^ 7
}
