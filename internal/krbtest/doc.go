// Package krbtest holds Kerberos test fixtures: an in-process FakeKDC that
// mints service tickets from a keytab (unit tests, no processes), and KDC,
// a real MIT KDC (Debian's krb5-kdc) started for one test on a loopback
// address with its own krb5.conf (KRB5_CONFIG) and kdc.conf
// (KRB5_KDC_PROFILE) in a temporary directory: principals, keytabs
// (aes256, aes128 and, with allow_rc4, rc4-hmac), kinit/kvno ticket caches,
// all torn down when the test ends. Nothing touches /etc or DNS.
//
// StartKDC skips the test when the MIT tools are missing, or fails it
// under IISCTL_REQUIRE_PEERS=1 (internal/peertest).
package krbtest
