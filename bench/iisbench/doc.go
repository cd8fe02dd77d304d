// Command iisbench is issue 13's benchmark: every figure beside a
// baseline measured in the same run, printed as ratios. bench/run.sh
// builds everything, starts iissd as a separate process in a private
// network namespace and runs "iisbench all"; the figures are
//
//   - warm: Status at privacy on a held reference, 1 and 16 connections,
//     against a raw two-process TCP exchange of the same sizes (an
//     "iisbench echo-server" child; the sizes come from iissd's syscall
//     byte counters). Rounds are interleaved (A B, B A, …) and the ratios
//     quoted are medians, since loopback ping-pong here is bimodal.
//     Throughput, p50, p99, and iissd's CPU per call (/proc/PID/stat)
//     against the echo server's CPU per exchange;
//   - cold: `iisctl status` against `iisctl version` (process start),
//     interleaved runs, medians; "coldlib" is the same operation in
//     process (latency, client and server CPU, no process start);
//   - hold: iissd's RSS growth per idle authenticated connection (a
//     child "iisbench hold" activates N references and keeps them);
//   - fleet: one `iisctl status` over N endpoints 127.1.x.y, time and
//     the client's peak RSS.
//
// Every loop is bounded in count and time; only loopback is used.
// bench/profile.sh and bench/profile-cold.sh take CPU, block and mutex
// profiles of iissd (--pprof) and of the client under the same loads.
package main
