package main

import "testing"

// TestWantKerberos: when iisctl uses Kerberos.
func TestWantKerberos(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		name string
		f    AuthFlags
		t    AuthType
		env  func(string) string
		want bool
	}{
		{"-k", AuthFlags{Kerberos: true}, AuthNegotiate, env(), true},
		{"--keytab", AuthFlags{Keytab: "k"}, AuthNTLM, env(), true},
		{"--auth kerberos", AuthFlags{}, AuthKerberos, env(), true},
		{"negotiate with a ticket cache", AuthFlags{}, AuthNegotiate, env("KRB5CCNAME", "FILE:/tmp/cc"), true},
		{"negotiate, no ticket cache", AuthFlags{}, AuthNegotiate, env(), false},
		{"negotiate, cache and -p", AuthFlags{PasswordSet: true}, AuthNegotiate, env("KRB5CCNAME", "x"), false},
		{"negotiate, cache and IISCTL_PASSWORD", AuthFlags{}, AuthNegotiate, env("KRB5CCNAME", "x", EnvPassword, "pw"), false},
		{"negotiate, cache and --hashes", AuthFlags{Hashes: "h"}, AuthNegotiate, env("KRB5CCNAME", "x"), false},
		{"--auth ntlm with a cache", AuthFlags{}, AuthNTLM, env("KRB5CCNAME", "x"), false},
		{"--auth spnego with a cache", AuthFlags{}, AuthSPNEGO, env("KRB5CCNAME", "x"), false},
	} {
		if got := wantKerberos(c.f, c.t, c.env); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestResolveKerberos: the credentials and provider each source gives.
func TestResolveKerberos(t *testing.T) {
	getenv := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	ios := &IOStreams{}
	conn := ConnOptions{AuthType: AuthNegotiate}
	c, ok, err := resolveKerberos(AuthFlags{Kerberos: true, SPN: "host/x"}, &conn, ios, getenv(map[string]string{"KRB5CCNAME": "FILE:/tmp/cc"}))
	if err != nil || !ok || c.CCache != "FILE:/tmp/cc" || conn.AuthType != AuthNegotiate || conn.SPN != "host/x" {
		t.Fatalf("ccache: %+v %v %v %+v", c, ok, err, conn)
	}
	conn = ConnOptions{AuthType: AuthKerberos}
	c, ok, err = resolveKerberos(AuthFlags{User: "alice@corp.example"}, &conn, ios, getenv(map[string]string{EnvPassword: "pw"}))
	if err != nil || !ok || c.User != "alice" || c.Domain != "CORP.EXAMPLE" || c.Password != "pw" || conn.AuthType != AuthKerberos {
		t.Fatalf("password: %+v %v %v", c, ok, err)
	}
	conn = ConnOptions{AuthType: AuthKerberos}
	if _, _, err = resolveKerberos(AuthFlags{Keytab: "/k"}, &conn, ios, getenv(nil)); err == nil {
		t.Fatal("--keytab without a user accepted")
	}
	conn = ConnOptions{AuthType: AuthKerberos}
	if _, _, err = resolveKerberos(AuthFlags{Hashes: "aa"}, &conn, ios, getenv(nil)); err == nil {
		t.Fatal("--hashes with Kerberos accepted")
	}
	conn = ConnOptions{AuthType: AuthNegotiate}
	if _, ok, _ = resolveKerberos(AuthFlags{User: "bob"}, &conn, ios, getenv(nil)); ok || conn.AuthType != AuthNTLM {
		t.Fatalf("negotiate without Kerberos: ok %v auth %v", ok, conn.AuthType)
	}
}
