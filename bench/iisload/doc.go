// Command iisload measures an IIS ServiceControl server (iissd or Windows)
// from one client machine. It runs two workloads back to back in the same
// run, so their ratio means something on a noisy machine:
//
//   - warm: Status calls on references activated once per worker
//     (one sealed ORPC call each);
//   - cold: a whole client session per operation (activation on port 135,
//     NTLM handshakes, Status, RemRelease), as a one-shot iisctl does.
//
// Both loops are bounded by -n operations and -duration, whichever ends
// first. Point it only at loopback or at hosts you run.
//
//	IISCTL_PASSWORD=... go run ./bench/iisload -target 127.0.0.1:1135 -u admin
package main
