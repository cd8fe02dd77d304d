package winclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"

	"github.com/iisctl/iisctl/ntlm"
	"github.com/iisctl/iisctl/rpc"
	"github.com/iisctl/iisctl/spnego"
)

// ntlmConfig is the captured client's NTLM: its NEGOTIATE flags and
// version. A Windows client adds NTLMSSP_NEGOTIATE_SEAL when it asks for
// packet privacy (the capture ran at integrity).
func (c *Config) ntlmConfig(flags ntlm.NegotiateFlags) ntlm.ClientConfig {
	v := c.Rec.Version
	host, _, _ := net.SplitHostPort(c.Addr)
	return ntlm.ClientConfig{User: c.User, Domain: c.Domain, Password: c.Password, Workstation: "WIN10-CLIENT",
		Flags: flags | ntlm.NegotiateSeal, Version: &v, TargetName: "RPCSS/" + host, EditAvPairs: c.windowsAvPairs}
}

// windowsAvPairs adds what the captured Windows client adds to the
// server's pairs: MsvAvFlags with its bits (MIC present, SPN from an
// untrusted source), MsvAvSingleHost and all-zero channel bindings.
func (c *Config) windowsAvPairs(p ntlm.AvPairs) ntlm.AvPairs {
	rec := c.Rec.AvPairs
	flags := make([]byte, 4)
	binary.LittleEndian.PutUint32(flags, p.Flags()|rec.Flags())
	p = p.Set(ntlm.AvFlags, flags)
	if v, ok := rec.Get(ntlm.AvSingleHost); ok {
		p = p.Set(ntlm.AvSingleHost, v)
	}
	return p.Set(ntlm.AvChannelBindings, make([]byte, 16))
}

// rawNTLM is the activator's authentication: raw NTLMSSP (auth type 10).
func (c *Config) rawNTLM() rpc.Initiator {
	return ntlm.Initiator{Config: c.ntlmConfig(c.Rec.RawFlags)}
}

// winSPNEGO is the exporter's authentication: the captured NegTokenInit
// (Kerberos and NEGOEX first, with a Kerberos token), then NTLM in
// negTokenResp tokens once the acceptor selects it.
type winSPNEGO struct{ c *Config }

func (winSPNEGO) AuthType() rpc.AuthType { return rpc.AuthTypeSPNEGO }

func (w winSPNEGO) NewClientContext() (rpc.SecurityContext, error) {
	return &spnegoCtx{Client: ntlm.NewClient(w.c.ntlmConfig(w.c.Rec.SPNEGOFlags)), init: w.c.Rec.SPNEGOInit}, nil
}

// spnegoCtx drives the exchange; once done, per-message protection is
// NTLM's.
type spnegoCtx struct {
	*ntlm.Client
	init      []byte
	mechTypes []byte
	state     int
	// Selected is the mechanism the acceptor chose.
	selected string
}

func (s *spnegoCtx) Step(ctx context.Context, in []byte) ([]byte, bool, error) {
	switch s.state {
	case 0:
		init, err := spnego.DecodeInit(s.init)
		if err != nil {
			return nil, false, err
		}
		if len(init.MechTypes) < 2 || init.MechTypes[0].Equal(spnego.OIDNTLMSSP) || init.MechToken == nil {
			return nil, false, errors.New("winclient: the recorded NegTokenInit does not offer Kerberos first")
		}
		s.mechTypes, s.state = init.RawMechTypes, 1
		return s.init, false, nil
	case 1:
		r, err := spnego.DecodeResp(in)
		if err != nil {
			return nil, false, err
		}
		if r.NegState != spnego.AcceptIncomplete && r.NegState != spnego.RequestMIC {
			return nil, false, fmt.Errorf("winclient: acceptor answered %v to the Kerberos offer", r.NegState)
		}
		if !r.SupportedMech.Equal(spnego.OIDNTLMSSP) || r.ResponseToken != nil {
			return nil, false, fmt.Errorf("winclient: acceptor selected %v (token %d bytes), want NTLMSSP without a token", r.SupportedMech, len(r.ResponseToken))
		}
		s.selected = r.SupportedMech.String()
		neg, _, err := s.Client.Step(ctx, nil)
		if err != nil {
			return nil, false, err
		}
		s.state = 2
		out, err := (&spnego.NegTokenResp{NegState: spnego.NoNegState, ResponseToken: neg}).Marshal()
		return out, false, err
	case 2:
		r, err := spnego.DecodeResp(in)
		if err != nil {
			return nil, false, err
		}
		if r.ResponseToken == nil {
			return nil, false, errors.New("winclient: no NTLM CHALLENGE")
		}
		auth, _, err := s.Client.Step(ctx, r.ResponseToken)
		if err != nil {
			return nil, false, err
		}
		mic, err := s.Client.GetMIC(s.mechTypes)
		if err != nil {
			return nil, false, err
		}
		s.state = 3
		out, err := (&spnego.NegTokenResp{NegState: spnego.NoNegState, ResponseToken: auth, MechListMIC: mic}).Marshal()
		return out, false, err
	case 3:
		r, err := spnego.DecodeResp(in)
		if err != nil {
			return nil, false, err
		}
		if r.NegState != spnego.AcceptCompleted {
			return nil, false, fmt.Errorf("winclient: final negState %v", r.NegState)
		}
		// NTLM was not the first mechanism offered, so the acceptor
		// MUST send a mechListMIC ([MS-SPNG] 3.2.5.1).
		if r.MechListMIC == nil {
			return nil, false, spnego.ErrMICRequired
		}
		if err := s.Client.VerifyMIC(s.mechTypes, r.MechListMIC); err != nil {
			return nil, false, fmt.Errorf("%w: %v", spnego.ErrBadMIC, err)
		}
		if err := s.Client.ResetCrypto(); err != nil {
			return nil, false, err
		}
		s.state = 4
		return nil, true, nil
	}
	return nil, false, spnego.ErrState
}
