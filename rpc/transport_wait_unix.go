//go:build unix

package rpc

import "syscall"

// waitReadable blocks, under the connection's read deadline, until rc
// has data (or EOF, or an error) to read, without a read buffer: a
// one-byte MSG_PEEK tells whether to wait in the poller; once woken, the
// next read reports whatever is there.
func waitReadable(rc syscall.RawConn, peek []byte) error {
	first := true
	return rc.Read(func(fd uintptr) bool {
		if !first {
			return true
		}
		first = false
		_, _, err := syscall.Recvfrom(int(fd), peek, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
	})
}
