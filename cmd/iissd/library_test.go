package main

// The Go library against the real iissd (its serve(), in-process): only
// iiss's exported API, every failure told apart with errors.Is (issue 15).

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/internal/ctl"
)

func TestLibraryAgainstIissd(t *testing.T) {
	t.Parallel()
	d := startReady(t, demoOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dial := func(user, pass string) (*iiss.Client, error) {
		return iiss.Dial(ctx, d.Act.String(), iiss.ClientConfig{Credentials: iiss.Credentials{User: user, Password: pass}})
	}

	c, err := dial(testAdmin, testAdminPass)
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, d.Logs())
	}
	defer c.Close()
	if list, err := c.Status(ctx); err != nil || len(list) != 3 {
		t.Fatalf("Status: %v %v", list, err)
	}

	if _, err := dial(testAdmin, "not-the-password"); !errors.Is(err, iiss.ErrLogonFailure) || errors.Is(err, iiss.ErrAccessDenied) {
		t.Errorf("wrong password: %v (%v), want ErrLogonFailure", err, iiss.Classify(err))
	}
	if _, err := dial(testUser, testUserPass); !errors.Is(err, iiss.ErrAccessDenied) || errors.Is(err, iiss.ErrLogonFailure) {
		t.Errorf("non-admin: %v (%v), want ErrAccessDenied", err, iiss.Classify(err))
	}
	if _, err := iiss.Dial(ctx, freeAddr(t), iiss.ClientConfig{Credentials: iiss.Credentials{User: testAdmin, Password: testAdminPass}}); !errors.Is(err, iiss.ErrUnreachable) {
		t.Errorf("unreachable: %v (%v), want ErrUnreachable", err, iiss.Classify(err))
	}

	// iisreset /DISABLE on this computer: through the running server's
	// control socket, which applies the switch before it answers. (Writing
	// the switch file behind the server's back is seen only once its watch
	// catches the change, so it would race the Stop below.)
	if o, _, err := ctl.SetDisabled(ctx, d.State, true); err != nil || !o.ViaServer {
		t.Fatalf("disable through the control socket: %+v (%v)", o, err)
	}
	defer ctl.SetDisabled(context.Background(), d.State, false)
	if err := c.Stop(ctx, 5*time.Second, false); !errors.Is(err, iiss.ErrResourceDisabled) || iiss.Classify(err) != iiss.KindDisabled {
		t.Errorf("disabled: %v (%v), want ErrResourceDisabled", err, iiss.Classify(err))
	}
}
