package main

import (
	"sync/atomic"

	"github.com/iisctl/iisctl/ntlm"
)

// reloadableCreds is the users file as an ntlm.CredentialSource that
// SIGHUP can swap atomically; a failed reload keeps the old contents.
type reloadableCreds struct {
	path string
	cur  atomic.Pointer[ntlm.UsersFile]
}

func newReloadableCreds(path string) (*reloadableCreds, error) {
	c := &reloadableCreds{path: path}
	return c, c.reload()
}

func (c *reloadableCreds) reload() error {
	u, err := ntlm.LoadUsersFile(c.path)
	if err != nil {
		return err
	}
	c.cur.Store(u)
	return nil
}

// Lookup implements ntlm.CredentialSource.
func (c *reloadableCreds) Lookup(user, domain string) (ntlm.Account, bool) {
	return c.cur.Load().Lookup(user, domain)
}
