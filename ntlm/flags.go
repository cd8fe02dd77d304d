package ntlm

import (
	"strconv"
	"strings"
)

// NegotiateFlags is the NegotiateFlags field of every NTLM message
// ([MS-NLMP] 2.2.2.5).
type NegotiateFlags uint32

// Negotiate flags ([MS-NLMP] 2.2.2.5), named after the spec without the
// NTLMSSP_ prefix.
const (
	NegotiateUnicode                 NegotiateFlags = 0x00000001 // A
	NegotiateOEM                     NegotiateFlags = 0x00000002 // B
	RequestTarget                    NegotiateFlags = 0x00000004 // C
	NegotiateSign                    NegotiateFlags = 0x00000010 // D
	NegotiateSeal                    NegotiateFlags = 0x00000020 // E
	NegotiateDatagram                NegotiateFlags = 0x00000040 // F
	NegotiateLMKey                   NegotiateFlags = 0x00000080 // G
	NegotiateNTLM                    NegotiateFlags = 0x00000200 // H
	NegotiateAnonymous               NegotiateFlags = 0x00000800 // J
	NegotiateOEMDomainSupplied       NegotiateFlags = 0x00001000 // K
	NegotiateOEMWorkstationSupplied  NegotiateFlags = 0x00002000 // L
	NegotiateAlwaysSign              NegotiateFlags = 0x00008000 // M
	TargetTypeDomain                 NegotiateFlags = 0x00010000 // N
	TargetTypeServer                 NegotiateFlags = 0x00020000 // O
	NegotiateExtendedSessionSecurity NegotiateFlags = 0x00080000 // P
	NegotiateIdentify                NegotiateFlags = 0x00100000 // Q
	RequestNonNTSessionKey           NegotiateFlags = 0x00400000 // R
	NegotiateTargetInfo              NegotiateFlags = 0x00800000 // S
	NegotiateVersion                 NegotiateFlags = 0x02000000 // T
	Negotiate128                     NegotiateFlags = 0x20000000 // U
	NegotiateKeyExch                 NegotiateFlags = 0x40000000 // V
	Negotiate56                      NegotiateFlags = 0x80000000 // W
)

// DefaultClientFlags are the flags a Windows 10 client sends in its
// NEGOTIATE_MESSAGE for DCE/RPC: 0xE2088235.
const DefaultClientFlags = Negotiate56 | NegotiateKeyExch | Negotiate128 |
	NegotiateVersion | NegotiateExtendedSessionSecurity | NegotiateAlwaysSign |
	NegotiateNTLM | NegotiateSeal | NegotiateSign | RequestTarget | NegotiateUnicode

// serverSupported is every flag the acceptor is willing to echo back
// ([MS-NLMP] 3.2.5.1.1). LM_KEY, DATAGRAM, IDENTIFY, ANONYMOUS and
// REQUEST_NON_NT_SESSION_KEY are never granted.
const serverSupported = NegotiateUnicode | NegotiateOEM | RequestTarget |
	NegotiateSign | NegotiateSeal | NegotiateNTLM | NegotiateAlwaysSign |
	NegotiateExtendedSessionSecurity | NegotiateTargetInfo | NegotiateVersion |
	Negotiate128 | NegotiateKeyExch | Negotiate56

// Has reports whether every bit of f2 is set in f.
func (f NegotiateFlags) Has(f2 NegotiateFlags) bool { return f&f2 == f2 }

var flagNames = [32]string{
	0: "UNICODE", 1: "OEM", 2: "REQUEST_TARGET", 4: "SIGN", 5: "SEAL",
	6: "DATAGRAM", 7: "LM_KEY", 9: "NTLM", 11: "ANONYMOUS",
	12: "OEM_DOMAIN_SUPPLIED", 13: "OEM_WORKSTATION_SUPPLIED",
	15: "ALWAYS_SIGN", 16: "TARGET_TYPE_DOMAIN", 17: "TARGET_TYPE_SERVER",
	19: "EXTENDED_SESSIONSECURITY", 20: "IDENTIFY",
	22: "REQUEST_NON_NT_SESSION_KEY", 23: "TARGET_INFO", 25: "VERSION",
	29: "128", 30: "KEY_EXCH", 31: "56",
}

// String renders the set flags as NAME|NAME..., unknown bits in hex.
func (f NegotiateFlags) String() string {
	var parts []string
	for i := 0; i < 32; i++ {
		bit := NegotiateFlags(1) << i
		if f&bit == 0 {
			continue
		}
		if name := flagNames[i]; name != "" {
			parts = append(parts, name)
		} else {
			parts = append(parts, "0x"+strconv.FormatUint(uint64(bit), 16))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}
