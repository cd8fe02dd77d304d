package dcom

import (
	"testing"
)

func TestActivateEchoReleaseBothActivators(t *testing.T) {
	for _, tc := range []struct {
		name        string
		legacy, spn bool
	}{
		{"RemoteCreateInstance/NTLM", false, false},
		{"RemoteCreateInstance/SPNEGO", false, true},
		{"RemoteActivation/NTLM", true, false},
		{"RemoteActivation/SPNEGO", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startServer(t, nil)
			ctx := testCtx(t)
			cfg := f.clientConfig(testUser, tc.spn)
			cfg.RemoteActivation = tc.legacy
			itf, err := Activate(ctx, cfg, CLSID_Echo, IID_IEcho)
			if err != nil {
				t.Fatalf("Activate: %v", err)
			}
			for i := uint32(0); i < 3; i++ {
				y, err := echo(ctx, itf, 41+i)
				if err != nil || y != 42+i {
					t.Fatalf("Echo(%d) = %d, %v", 41+i, y, err)
				}
			}
			if f.srv.tab.count() != 1 || f.echo.created.Load() != 1 {
				t.Fatalf("objects %d, created %d", f.srv.tab.count(), f.echo.created.Load())
			}
			if err := itf.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if n := f.srv.tab.count(); n != 0 {
				t.Fatalf("%d objects left after release", n)
			}
			if f.echo.closed.Load() != 1 {
				t.Fatalf("object closed %d times, want 1", f.echo.closed.Load())
			}
			if _, err := echo(ctx, itf, 1); err != ErrClosed {
				t.Fatalf("call after Close: %v", err)
			}
		})
	}
}
