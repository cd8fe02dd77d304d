package rpc

import (
	"bufio"
	"fmt"
	"github.com/iisctl/iisctl/ndr"
	"io"
	"net"
	"sync"
)

// transport frames fragments on a net.Conn and applies per-fragment
// protection. Reads and writes are each used by one goroutine at a time.
type transport struct {
	nc   net.Conn
	r    *bufio.Reader // created on first read; one read syscall usually brings a whole fragment
	wmu  sync.Mutex
	wbuf []byte
}

// readBufSize holds a default-size fragment (5840) and its successor's header.
const readBufSize = 8 << 10

// readFragment reads one whole fragment and decodes it. The returned raw
// slice is freshly allocated (at most 65535 bytes) and aliased by the PDU.
func (t *transport) readFragment() (*PDU, []byte, layout, error) {
	if t.r == nil {
		t.r = bufio.NewReaderSize(t.nc, readBufSize)
	}
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(t.r, hdr[:]); err != nil {
		return nil, nil, layout{}, err
	}
	h, err := ParseHeader(hdr[:])
	if err != nil {
		return nil, nil, layout{}, err
	}
	raw := make([]byte, h.FragLength)
	copy(raw, hdr[:])
	if _, err := io.ReadFull(t.r, raw[HeaderSize:]); err != nil {
		return nil, nil, layout{}, err
	}
	p, l, err := unmarshal(raw)
	return p, raw, l, err
}

// writePDU marshals p, protecting it with ac when ac calls for a verifier
// on this PDU type, and writes it in one Write.
func (t *transport) writePDU(p *PDU, ac *authContext) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	b, err := protect(t.wbuf[:0], p, ac)
	if err != nil {
		return err
	}
	t.wbuf = b[:0]
	_, err = t.nc.Write(b)
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
