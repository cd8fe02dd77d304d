package krbtest

import (
	"context"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Etypes are the encryption types the tests cover.
var Etypes = []struct {
	Name string
	ID   int32
}{
	{"aes256", etypeID.AES256_CTS_HMAC_SHA1_96},
	{"aes128", etypeID.AES128_CTS_HMAC_SHA1_96},
	{"rc4", etypeID.RC4_HMAC},
}

// Keytab returns an in-memory keytab with keys derived from password for
// each SPN (without realm) in realm, kvno 1, in every etype of Etypes.
func Keytab(t testing.TB, realm, password string, spns ...string) *keytab.Keytab {
	t.Helper()
	kt := keytab.New()
	for _, spn := range spns {
		for _, e := range Etypes {
			if err := kt.AddEntry(spn, realm, password, time.Now(), 1, e.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	return kt
}

// FakeKDC mints service tickets in-process from a service keytab (no
// network): a kerberos.TicketSource for unit tests.
type FakeKDC struct {
	Keytab   *keytab.Keytab
	Realm    string
	Etype    int32
	User     string           // default "alice"
	Now      func() time.Time // ticket issue time; default time.Now
	Lifetime time.Duration    // default 10h
}

// ServiceTicket issues a ticket for spn.
func (f *FakeKDC) ServiceTicket(_ context.Context, spn string) (messages.Ticket, types.EncryptionKey, error) {
	now := time.Now()
	if f.Now != nil {
		now = f.Now()
	}
	life := f.Lifetime
	if life == 0 {
		life = 10 * time.Hour
	}
	cname, realm := f.Principal()
	sname := types.NewPrincipalName(nametype.KRB_NT_SRV_INST, spn)
	return messages.NewTicket(cname, realm, sname, realm, types.NewKrbFlags(), f.Keytab, f.Etype, 1,
		now, now, now.Add(life), now.Add(life))
}

// Principal is User@Realm.
func (f *FakeKDC) Principal() (types.PrincipalName, string) {
	u := f.User
	if u == "" {
		u = "alice"
	}
	return types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, u), f.Realm
}
