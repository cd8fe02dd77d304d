// Package sambadc runs a real Active Directory domain controller for tests:
// Debian's Samba (samba, samba-ad-dc, winbind) provisioned offline with
// `samba-tool domain provision` into a temporary directory, bound to one
// loopback address, with fixed test accounts, and stopped afterwards.
//
// The DC runs as PID 1 of its own PID and mount namespaces (unshare), so
// that /run/samba (winbindd's compiled-in socket directory) and /etc/hosts
// are private bind mounts from the DC's directory: the machine's
// /etc/samba, /etc/krb5.conf, /etc/hosts and /run/samba are never touched,
// and killing samba takes smbd, winbindd and every helper run inside
// (Exec) with it. Network clients reach it on its loopback address; tests
// run in the private network namespace that nstest makes, and each test
// binary picks its own address, so parallel test binaries do not collide.
//
// Provisioning costs several seconds of CPU, so a test binary provisions
// one DC (Shared) and every test in it shares the DC; TestMain calls
// StopShared. Fixtures (see the constants) are written into sam.ldb before
// samba starts, in one Python process using Samba's own bindings; changes
// at run time (RemoveMember, Disable, AddUser) go through samba-tool
// against the live sam.ldb, as an administrator on a DC does.
//
// Without root, samba, samba-tool, winbind's ntlm_auth/wbinfo, unshare or
// nsenter, Shared skips the test, or fails it when IISCTL_REQUIRE_PEERS=1
// (internal/peertest). Every wait is bounded. docs/domain.md explains how
// to run the same DC by hand.
//
// Specifications exercised through it: [MS-NLMP] pass-through
// authentication via winbind, [MS-PAC], [MS-KILE] (the Samba KDC), and
// DCE/RPC over ncacn_ip_tcp against an independent acceptor ([MS-RPCE]).
package sambadc
