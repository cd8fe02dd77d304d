package iiss_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/iisctl/iisctl/svc/svctest"
)

func standardSpecs() []svctest.Spec {
	return []svctest.Spec{svctest.Web(), svctest.Worker(), svctest.OnDemand()}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
