// Package winbind validates NTLM network logons for domain accounts
// through the domain controller, the way Linux domain members do it:
// winbind's ntlm_auth helper in the ntlm-server-1 protocol. iissd never
// sees a domain account's hash; the DC checks the NTLMv2 response
// ([MS-APDS] 3.1.5.1, carried by winbindd over a NETLOGON secure channel,
// [MS-NRPC] 3.5.4.5.1) and returns the user session key, which the
// acceptor needs for signing and sealing ([MS-NLMP] 3.3.2).
//
// Verifier implements ntlm.Verifier. Logons that name the configured
// domain go to the DC; the others go to a fallback (the local users file).
// Authorization is by group, resolved at logon time from the DC's own
// answer: each helper runs with --require-membership-of=SID,... (the
// admin groups), so winbindd checks the group SIDs of the validation
// info the DC just returned, and a user removed from the group is an
// administrator no longer from the next logon on. When that check fails
// the same response is asked once more without the requirement, which
// tells "not a member" (authenticated, not an administrator: the
// interface then refuses with E_ACCESSDENIED) from a bad password,
// disabled, locked or expired account, or logon hours (a logon failure
// with the DC's reason). Only that second question costs a second round
// trip, and it never counts as a bad password.
//
// Protection of the other clients: at most MaxConcurrent logons are with
// the DC at once (a process pair per slot, kept running), a logon waits
// at most Timeout for a slot and for the answer (a helper that times out
// is killed), and a DC or winbindd that cannot be reached is logged once
// per outage as "domain controller unreachable".
//
// The helper protocol (Samba's ntlm_auth(1)): a request is "Key: value"
// lines ended by "."; values that could contain anything (user, domain)
// are sent base64 ("Key:: b64"). The reply is "Authenticated: Yes" with
// "User-Session-Key: HEX", or "Authenticated: No" with
// "Authentication-Error: TEXT" (the NTSTATUS message); Samba 4.17 ends a
// refusal with "." twice, so empty replies are skipped.
package winbind
