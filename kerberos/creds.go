package kerberos

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// LoadConfig reads a krb5.conf: path, else $KRB5_CONFIG, else
// /etc/krb5.conf. realm and kdc, when given, add or override the realm's
// KDC and make it the default realm (for machines without krb5.conf).
func LoadConfig(path, realm, kdc string) (*config.Config, error) {
	if path == "" {
		path = os.Getenv("KRB5_CONFIG")
	}
	if path == "" {
		path = "/etc/krb5.conf"
	}
	var cfg *config.Config
	if c, err := config.Load(path); err == nil {
		cfg = c
	} else if realm == "" || kdc == "" {
		return nil, fmt.Errorf("%w: %s: %v", ErrNoConfig, path, err)
	} else {
		cfg = config.New()
	}
	if realm != "" {
		cfg.LibDefaults.DefaultRealm = realm
	}
	if kdc != "" {
		if !strings.Contains(kdc, ":") {
			kdc += ":88"
		}
		r := config.Realm{Realm: realm, KDC: []string{kdc}}
		found := false
		for i := range cfg.Realms {
			if cfg.Realms[i].Realm == realm {
				cfg.Realms[i].KDC = []string{kdc}
				found = true
			}
		}
		if !found {
			cfg.Realms = append(cfg.Realms, r)
		}
	}
	cfg.LibDefaults.DNSLookupKDC = false
	cfg.LibDefaults.DNSLookupRealm = false
	return cfg, nil
}

// Credentials is a TicketSource backed by a gokrb5 client.
type Credentials struct {
	mu       sync.Mutex
	cl       *client.Client
	login    bool // needs an AS exchange before the first TGS
	loggedIn bool
}

// FromCCache loads a ticket cache (path, else $KRB5CCNAME as kinit
// leaves it; a "FILE:" prefix is accepted).
func FromCCache(path string, cfg *config.Config) (*Credentials, error) {
	if path == "" {
		path = os.Getenv("KRB5CCNAME")
	}
	path = strings.TrimPrefix(path, "FILE:")
	if path == "" {
		path = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
	}
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		return nil, fmt.Errorf("%w: ticket cache %s: %v (run kinit)", ErrNoCredentials, path, err)
	}
	cl, err := client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
	if err != nil {
		return nil, fmt.Errorf("%w: ticket cache %s: %v (run kinit)", ErrNoCredentials, path, err)
	}
	return &Credentials{cl: cl}, nil
}

// FromKeytab logs in as user@realm with a keytab file.
func FromKeytab(user, realm, path string, cfg *config.Config) (*Credentials, error) {
	kt, err := keytab.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w: keytab %s: %v", ErrNoCredentials, path, err)
	}
	return &Credentials{cl: client.NewWithKeytab(user, realm, kt, cfg, client.DisablePAFXFAST(true)), login: true}, nil
}

// FromPassword logs in as user@realm with a password.
func FromPassword(user, realm, password string, cfg *config.Config) *Credentials {
	return &Credentials{cl: client.NewWithPassword(user, realm, password, cfg, client.DisablePAFXFAST(true)), login: true}
}

// ServiceTicket gets a ticket for spn, logging in first if needed.
func (c *Credentials) ServiceTicket(ctx context.Context, spn string) (messages.Ticket, types.EncryptionKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.login && !c.loggedIn {
		if err := c.cl.Login(); err != nil {
			return messages.Ticket{}, types.EncryptionKey{}, Classify(err)
		}
		c.loggedIn = true
	}
	t, k, err := c.cl.GetServiceTicket(spn)
	return t, k, Classify(err)
}

// Principal reports the client principal.
func (c *Credentials) Principal() (types.PrincipalName, string) {
	return c.cl.Credentials.CName(), c.cl.Credentials.Realm()
}
