package iiss_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/svc/svctest"
)

// exampleServer starts what ExampleNewServer shows and returns its
// activation address ("127.0.0.1:port") and a function that stops it.
func exampleServer() (string, func()) {
	mgr := svctest.NewFake(svctest.Web(), svctest.Worker(), svctest.OnDemand())
	users := ntlm.CredentialFunc(func(user, domain string) (ntlm.Account, bool) {
		if strings.EqualFold(user, "admin") {
			return ntlm.Account{NTHash: ntlm.NTHash("Adm1n-Passw0rd"), Admin: true}, true
		}
		return ntlm.Account{}, false
	})
	srv, err := iiss.NewServer(iiss.NewLocal(mgr, iiss.LocalOptions{}),
		iiss.ServerConfig{Users: users, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	act, _ := net.Listen("tcp", "127.0.0.1:0")
	obj, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(act, obj)
	return act.Addr().String(), func() { srv.Close(); mgr.Close() }
}

// Restart the Internet services of a server and list them, as
// iisreset /RESTART and iisreset /STATUS do.
func ExampleDial() {
	host, stop := exampleServer() // a Windows IIS host's name works the same
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := iiss.Dial(ctx, host, iiss.ClientConfig{
		Credentials: iiss.Credentials{User: "admin", Password: "Adm1n-Passw0rd"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if err := c.Restart(ctx, 30*time.Second, true); err != nil {
		fmt.Println(err)
		return
	}
	list, err := c.Status(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range list {
		fmt.Println(s.Name, s.State)
	}
	// Output:
	// web Running
	// worker Running
	// ondemand Stopped
}

// Tell failures apart with errors.Is, or with Classify.
func ExampleClassify() {
	host, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	_, err := iiss.Dial(ctx, host, iiss.ClientConfig{
		Credentials: iiss.Credentials{User: "admin", Password: "wrong"},
	})
	switch {
	case errors.Is(err, iiss.ErrLogonFailure):
		fmt.Println("check the user name and password")
	case errors.Is(err, iiss.ErrAccessDenied):
		fmt.Println("the account must be an administrator of the server")
	case errors.Is(err, iiss.ErrUnreachable):
		fmt.Println("check the name, the network and the firewall")
	}
	fmt.Println(iiss.Classify(err))
	h, _ := iiss.AsHRESULT(err)
	fmt.Println(h.String())
	// Output:
	// check the user name and password
	// logon-failure
	// ERROR_LOGON_FAILURE (0x8007052E)
}

// Serve IIS ServiceControl from a program: Windows' iisreset, scripts and
// iisctl control the services of mgr.
func ExampleNewServer() {
	// mgr is the services' manager: svc/supervisor or svc/systemd in
	// iissd; an in-memory fake here.
	mgr := svctest.NewFake(svctest.Web(), svctest.Worker(), svctest.OnDemand())
	defer mgr.Close()
	// The accounts: iissd reads them with ntlm.LoadUsersFile.
	users, _ := ntlm.ParseUsers(strings.NewReader(""))
	users.AddUser("admin", "", ntlm.NTHash("Adm1n-Passw0rd"), true)
	srv, err := iiss.NewServer(iiss.NewLocal(mgr, iiss.LocalOptions{}), iiss.ServerConfig{
		Users:  users,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	act, err := net.Listen("tcp", "127.0.0.1:0") // ":135" for Windows clients
	if err != nil {
		fmt.Println(err)
		return
	}
	obj, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(act, obj) }()

	// A client starts the services.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := iiss.Dial(ctx, act.Addr().String(), iiss.ClientConfig{
		Credentials: iiss.Credentials{User: "admin", Password: "Adm1n-Passw0rd"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Start(ctx, 30*time.Second))
	c.Close()

	srv.Shutdown(ctx)
	fmt.Println(errors.Is(<-done, iiss.ErrServerClosed))
	st, _ := mgr.Services(ctx)
	for _, s := range st {
		fmt.Println(s.Name, s.State)
	}
	// Output:
	// <nil>
	// true
	// web Running
	// worker Running
	// ondemand Stopped
}
