// Package svctest holds the contract every svc.Manager backend must pass
// and an in-memory Manager for the layers above the backends.
//
// # Contract
//
// [TestManager] runs the contract against a backend through a [Harness],
// whose New builds a fresh Manager from a list of [Spec]s. A Spec names a
// test service and its [Behavior]; [Spec.Command] is the /bin/sh script
// that implements the Behavior, so the supervisor and systemd run the same
// processes. The standard services are:
//
//   - "web" ([Web]): auto-start, long-running;
//   - "worker" ([Worker]): auto-start, long-running, depends on "web";
//   - "stubborn" ([Stubborn]): auto-start, ignores SIGTERM;
//   - "ondemand" ([OnDemand]): demand-start, long-running;
//   - "exits3" ([Exits3]): exits with code 3 after [ExitDelay];
//   - "crashstart" ([CrashStart]): exits with code 4 at once.
//
// The suite checks that Services lists every service in a stable order
// with its names, start type and dependencies; that Start brings the
// auto-start services to Running with a process ID (dependencies first)
// and leaves demand-start ones Stopped; that Stop stops them (dependents
// first) with exit code 0; that a Stop overrun by "stubborn" returns an
// error wrapping context.DeadlineExceeded and Kill then ends it; that Kill
// ends everything and the set starts again; that an exit code 3 becomes
// Win32ExitCode 1066 with ServiceSpecificExitCode 3; and that a crash
// while starting is reported. Pending states, where a backend reports
// them, must carry a CheckPoint that never falls. The suite takes a few
// seconds and polls only with short bounded waits.
//
// # Fake
//
// [Fake] simulates the same Specs without processes and lets tests inject
// failures: [Fake.FailStart], [Fake.HangStop], [Fake.FailKill], and
// [Fake.Exit] for an unexpected process exit.
package svctest
