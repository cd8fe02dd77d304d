// Package capture is test support for the golden packet captures: the
// MIT and BSD ones in the repository's testdata/captures (their origins
// and licences in its README.md and NOTICE), and all of them, the GPL ones
// included, in ../shared/captures beside the checkout when it exists
// ([Lookup] tries both, in that order).
//
// It reads classic pcap files (either byte order, microsecond or nanosecond
// timestamps) and pcapng files (SHB, IDB, EPB, SPB and the obsolete PB, several
// interfaces and sections, either byte order; unknown blocks are skipped). The
// link layers understood are Ethernet with optional 802.1Q/802.1ad VLAN tags,
// BSD loopback (NULL and LOOP), raw IP (101, 228, 229), Linux cooked capture
// SLL (113) and SLL2 (276). Only unfragmented IPv4 and IPv6 carrying TCP are
// used.
//
// Each TCP connection is reassembled per direction by sequence number:
// retransmitted and duplicate segments are dropped, out-of-order segments are
// put back in order, and a direction stops at the first gap (recorded in
// [Direction.Gap]). A direction whose byte stream starts like a
// connection-oriented DCE/RPC PDU (rpc_vers 5, rpc_vers_minor 0,
// PTYPE <= 20) is then cut into PDUs using frag_length. Other streams (SMB,
// Kerberos, ...) produce no PDUs.
//
// Streams are numbered in order of first appearance, like tshark's
// tcp.stream, except that a 4-tuple reused for a new connection is not split
// into a new stream. [PDU.EndFrame] is the frame at which tshark shows the
// PDU (the frame that completes it in sequence order); [PDU.Frame] is the
// first frame holding any of its bytes. The client is the SYN sender; without
// a handshake it is guessed from the first PDU types, then from the ports.
//
// The .hex files are read with [ReadHex].
//
// The package uses only the standard library and never panics on malformed
// input: allocations are bounded by the number of bytes present in the input.
package capture
