// Package peertest holds helpers for tests that need an independent peer or
// observer: Python with impacket as a reference DCE/RPC/DCOM implementation,
// and tshark/dumpcap to capture loopback traffic and check that Wireshark's
// dissectors accept what we put on the wire.
//
// Such tools are optional. When one is missing the test is skipped with a
// message saying what to install, unless IISCTL_REQUIRE_PEERS=1 is set, in
// which case the test fails instead (for CI machines that are supposed to
// have them).
//
// Every wait is bounded and every process started here is stopped through
// t.Cleanup.
package peertest
