//go:build !unix

package rpc

import "syscall"

// waitReadable returns at once where peeking is not available: the
// read that follows waits, holding its buffer.
func waitReadable(syscall.RawConn, []byte) error { return nil }
