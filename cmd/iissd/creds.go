package main

import (
	"fmt"
	"sync/atomic"

	"github.com/iisctl/iisctl/iiss"
	"github.com/iisctl/iisctl/ntlm"
)

// reloadableCreds is the users file as an ntlm.CredentialSource that
// SIGHUP can swap atomically; a failed reload keeps the old contents.
type reloadableCreds struct {
	path string
	cur  atomic.Pointer[ntlm.UsersFile]
	// audit records the reloads that SIGHUP and the file watcher do
	// (the control socket audits its own).
	audit iiss.Auditor
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
	if len(u.List()) == 0 && c.cur.Load() != nil && len(c.cur.Load().List()) > 0 {
		// An empty file would refuse everyone: a truncated or mistaken
		// edit, not a configuration; keep the accounts in use.
		return fmt.Errorf("%s has no accounts; keeping the %d accounts in use", c.path, len(c.cur.Load().List()))
	}
	c.cur.Store(u)
	return nil
}

// Lookup implements ntlm.CredentialSource.
func (c *reloadableCreds) Lookup(user, domain string) (ntlm.Account, bool) {
	return c.cur.Load().Lookup(user, domain)
}
