package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/iisctl/iisctl/internal/peertest"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair (/dev/ptmx, then /dev/pts/N).
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	const tiocsptlck, tiocgptn = 0x40045431, 0x80045430
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), tiocsptlck, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), tiocgptn, uintptr(unsafe.Pointer(&n))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// TestE2EStatusTerminal: on a terminal, status is an aligned table with
// a header.
func TestE2EStatusTerminal(t *testing.T) {
	t.Parallel()
	master, slave, err := openPTY()
	if err != nil {
		peertest.Skip(t, "no pseudo-terminal to test the terminal table on: %v", err)
	}
	defer master.Close()
	d := startReady(t, demoOptions{})

	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, iisctlBin(t), "status", d.Target(), "-u", testAdmin)
	cmd.Env = cleanEnv("IISCTL_PASSWORD=" + testAdminPass)
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), slave, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&out, master); close(copied) }() // ends with EIO when iisctl exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("iisctl status on a terminal: %v\n%s", err, stderr.String())
	}
	<-copied
	got := strings.ReplaceAll(out.String(), "\r\n", "\n")
	tg := d.Target()
	pad := strings.Repeat(" ", len(tg)-len("HOST"))
	want := "HOST" + pad + "  SERVICE  DISPLAY NAME                        STATE    EXIT CODE\n" +
		tg + "  WAS      Windows Process Activation Service  Running  0\n" +
		tg + "  W3SVC    World Wide Web Publishing Service   Running  0\n" +
		tg + "  FTPSVC   Microsoft FTP Service               Stopped  0\n"
	if got != want {
		t.Fatalf("terminal output:\n%s\nwant\n%s", got, want)
	}
}
