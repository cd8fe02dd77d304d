package kerberos

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// Errors callers branch on with errors.Is. Each names what to do.
var (
	ErrMalformed        = errors.New("kerberos: malformed token")
	ErrState            = errors.New("kerberos: token out of sequence")
	ErrNotEstablished   = errors.New("kerberos: context not established")
	ErrSkew             = errors.New("kerberos: clock skew too great (KRB_AP_ERR_SKEW): synchronise the clocks of client, server and KDC (within 5 minutes)")
	ErrExpired          = errors.New("kerberos: ticket expired (KRB_AP_ERR_TKT_EXPIRED): run kinit again")
	ErrNotYetValid      = errors.New("kerberos: ticket not yet valid (KRB_AP_ERR_TKT_NYV): check the clocks")
	ErrModified         = errors.New("kerberos: ticket or authenticator does not decrypt (KRB_AP_ERR_MODIFIED): the keytab's key does not match the KDC's; export a fresh keytab")
	ErrNoKey            = errors.New("kerberos: no key for the ticket's service principal (KRB_AP_ERR_NOKEY): add the principal to the keytab")
	ErrWrongPrincipal   = errors.New("kerberos: ticket is for a service principal this server does not accept (KRB_AP_ERR_NOT_US)")
	ErrReplay           = errors.New("kerberos: replayed authenticator (KRB_AP_ERR_REPEAT)")
	ErrUnknownPrincipal = errors.New("kerberos: principal unknown to the KDC (KDC_ERR_C/S_PRINCIPAL_UNKNOWN): check the user name, realm and SPN")
	ErrPreauth          = errors.New("kerberos: pre-authentication failed (KDC_ERR_PREAUTH_FAILED): wrong password or key")
	ErrBadSignature     = errors.New("kerberos: per-message token does not verify")
	ErrSequence         = errors.New("kerberos: per-message token has an unexpected sequence number")
	ErrNoConfig         = errors.New("kerberos: no krb5.conf to find the realm's KDC: set KRB5_CONFIG, or give the realm and the KDC (iisctl --realm, --kdc)")
	ErrMutual           = errors.New("kerberos: the acceptor's AP-REP does not prove it knows the session key")
	ErrUnsupported      = errors.New("kerberos: unsupported encryption type")
	ErrNoCredentials    = errors.New("kerberos: no Kerberos credentials: run kinit (the ticket cache is $KRB5CCNAME), or use a keytab or a password with USER@REALM")
)

// KRBError is a KRB-ERROR received from a KDC or acceptor, or produced
// by the acceptor. It unwraps to the matching sentinel above.
type KRBError struct {
	Code int32
	Text string
}

func (e *KRBError) Error() string {
	s := "kerberos: " + errorcode.Lookup(e.Code)
	if e.Text != "" {
		s += ": " + e.Text
	}
	if w := e.Unwrap(); w != nil {
		s += "; " + w.Error()
	}
	return s
}

// Unwrap maps the error code to a sentinel.
func (e *KRBError) Unwrap() error {
	switch e.Code {
	case errorcode.KRB_AP_ERR_SKEW:
		return ErrSkew
	case errorcode.KRB_AP_ERR_TKT_EXPIRED, errorcode.KDC_ERR_TGT_REVOKED:
		return ErrExpired
	case errorcode.KRB_AP_ERR_TKT_NYV:
		return ErrNotYetValid
	case errorcode.KRB_AP_ERR_MODIFIED, errorcode.KRB_AP_ERR_BAD_INTEGRITY:
		return ErrModified
	case errorcode.KRB_AP_ERR_NOKEY, errorcode.KRB_AP_ERR_BADKEYVER:
		return ErrNoKey
	case errorcode.KRB_AP_ERR_NOT_US:
		return ErrWrongPrincipal
	case errorcode.KRB_AP_ERR_REPEAT:
		return ErrReplay
	case errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN:
		return ErrUnknownPrincipal
	case errorcode.KDC_ERR_PREAUTH_FAILED:
		return ErrPreauth
	}
	return nil
}

func krbErr(code int32, format string, a ...any) error {
	return &KRBError{Code: code, Text: fmt.Sprintf(format, a...)}
}

// Classify turns an error from gokrb5 (a messages.KRBError, possibly
// wrapped in its krberror) into a *KRBError so that errors.Is works.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ke *KRBError
	if errors.As(err, &ke) {
		return err
	}
	var m messages.KRBError
	if errors.As(err, &m) {
		return fmt.Errorf("%w (%v)", &KRBError{Code: m.ErrorCode, Text: m.EText}, err)
	}
	var mp *messages.KRBError
	if errors.As(err, &mp) {
		return fmt.Errorf("%w (%v)", &KRBError{Code: mp.ErrorCode, Text: mp.EText}, err)
	}
	// gokrb5's krberror flattens the KRB-ERROR into text.
	s := err.Error()
	if strings.Contains(s, "client password/keytab incorrect") {
		// An AS-REP that does not decrypt: the KDC did not require
		// pre-authentication, so the wrong key shows only here.
		return fmt.Errorf("%w (%v)", &KRBError{Code: errorcode.KDC_ERR_PREAUTH_FAILED}, err)
	}
	for _, c := range []int32{errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, errorcode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
		errorcode.KDC_ERR_PREAUTH_FAILED, errorcode.KRB_AP_ERR_SKEW, errorcode.KRB_AP_ERR_TKT_EXPIRED,
		errorcode.KDC_ERR_TGT_REVOKED, errorcode.KRB_AP_ERR_MODIFIED} {
		if strings.Contains(s, errorcode.Lookup(c)) {
			return fmt.Errorf("%w (%v)", &KRBError{Code: c}, err)
		}
	}
	return err
}
