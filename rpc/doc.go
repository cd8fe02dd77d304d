// Package rpc implements connection-oriented DCE/RPC (ncacn_ip_tcp) as
// [MS-RPCE] extends it: a pure PDU codec, a server and a client.
//
// Layers, bottom up:
//
//   - PDU codec (pdu*.go, vtrailer.go): the common header (C706 12.6.1),
//     every connection-oriented PDU (C706 12.6.4; [MS-RPCE] 2.2.2.x:
//     bind/alter_context 12.6.4.1-3, bind_ack 12.6.4.4, bind_nak with its
//     optional Signature 2.2.2.9, request 2.2.2.6, response, fault 2.2.2.8,
//     auth3 2.2.2.10, shutdown, co_cancel, orphaned), the sec_trailer and
//     auth padding (2.2.2.11; sent 16-aligned from the stub start, any pad
//     accepted), and the verification trailer (2.2.2.13). Decoders honour
//     drep, never panic and allocate no more than the input justifies.
//     We send little-endian only.
//   - Transport (transport.go, reassembly.go, auth.go): fragment framing,
//     fragmentation at the negotiated size (C706 12.6.3.7), reassembly
//     with a stub limit ([MS-RPCE] 3.3.3.5.4), and per-fragment
//     protection: integrity signs header, body, pad and sec_trailer;
//     privacy also seals stub and pad ([MS-RPCE] 2.2.2.11, 3.3.1.5.2.2).
//   - Server (server*.go): association groups (3.3.1.5.7), presentation
//     context negotiation incl. NDR64 and bind-time features (3.3.1.5.3,
//     3.3.1.5.6), security contexts keyed by auth_context_id (3.3.1.5.2),
//     dispatch to [Handler]s by interface and opnum, faults and naks
//     (3.3.3.5, C706 Appendix N), graceful [Server.Shutdown].
//   - Client (client*.go): [Dial], [Conn.Bind], [Conn.AlterContext],
//     [Conn.Call]; 3-leg (auth3) and even-leg (alter_context) handshakes.
//
// Security providers (NTLM, SPNEGO) implement [SecurityContext]; this
// package only drives them. The server never logs tokens or keys.
//
// Fragment size negotiation follows Windows: the server answers
// max(2048, min(client max_xmit, client max_recv, ServerConfig.MaxFragment))
// rounded down to a multiple of 8 in both fields, and never sends a
// fragment larger than the client's max_recv.
//
// Concurrency: one call at a time per connection (CONC_MPX is never set);
// many connections are served concurrently.
package rpc
