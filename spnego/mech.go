package spnego

import "github.com/iisctl/iisctl/rpc"

// Mech is the mechanism context SPNEGO drives: an NTLM client or server
// context. Besides the rpc.SecurityContext methods it must expose:
//
//   - GetMIC: the NTLM MAC ([MS-NLMP] 3.4.4) over msg with the next outgoing
//     sequence number, advancing it and the outgoing RC4 handle.
//   - VerifyMIC: check such a MAC with the next incoming sequence number,
//     advancing it and the incoming RC4 handle.
//   - ResetCrypto: re-initialise both RC4 handles from the sealing keys,
//     keeping both sequence numbers ([MS-SPNG] 3.2.5.1, 3.3.5.1).
type Mech interface {
	rpc.SecurityContext
	GetMIC(msg []byte) ([]byte, error)
	VerifyMIC(msg, mic []byte) error
	ResetCrypto() error
}

// conn holds what client and server share: the mech and the per-message
// methods, which are valid once the handshake is done.
type conn struct {
	mech Mech
}

// SignatureSize reports the mech's verifier size.
func (c *conn) SignatureSize() int { return c.mech.SignatureSize() }

// Sign delegates to the mech.
func (c *conn) Sign(msg []byte) ([]byte, error) { return c.mech.Sign(msg) }

// Verify delegates to the mech.
func (c *conn) Verify(msg, sig []byte) error { return c.mech.Verify(msg, sig) }

// Seal delegates to the mech.
func (c *conn) Seal(msg, data []byte) ([]byte, error) { return c.mech.Seal(msg, data) }

// Unseal delegates to the mech.
func (c *conn) Unseal(msg, data, sig []byte) error { return c.mech.Unseal(msg, data, sig) }

// Peer reports the mech's authenticated peer.
func (c *conn) Peer() rpc.Peer { return c.mech.Peer() }
