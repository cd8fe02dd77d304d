package iiss

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/config"
)

func TestRealmFor(t *testing.T) {
	conf, err := config.NewFromString(`[libdefaults]
 default_realm = CORP.EXAMPLE.COM
[realms]
 CORP.EXAMPLE.COM = {
  kdc = 10.0.0.1
 }
 LAB.TEST = {
  kdc = 10.0.0.2
 }
`)
	if err != nil {
		t.Fatal(err)
	}
	for domain, want := range map[string]string{
		"CORP": "CORP.EXAMPLE.COM", "corp": "CORP.EXAMPLE.COM", "lab": "LAB.TEST",
		"corp.example.com": "CORP.EXAMPLE.COM", "OTHER": "", "": "",
	} {
		if got := realmFor(domain, conf); got != want {
			t.Errorf("realmFor(%q) = %q, want %q", domain, got, want)
		}
	}
	if got := realmFor("CORP", nil); got != "" {
		t.Errorf("without krb5.conf: %q", got)
	}
}
