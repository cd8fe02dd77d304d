#!/usr/bin/env bash
# iisctl start-up and cold `iisctl status`, this checkout against REV
# (default main), in one run: both iisctl binaries against one iissd
# --demo (this checkout's) in a private network namespace, N interleaved
# rounds (default 41), medians of wall and CPU time, ratios this/REV.
# Both binaries are copied fresh before the runs: identical binaries in
# different files were seen to differ by up to 1 ms (page cache).
# Usage: bench/startup.sh [REV] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${IISBENCH_IN_NS:-}" != 1 ]]; then
	exec env IISBENCH_IN_NS=1 unshare -n -- "$0" "$@"
fi
rev=${1:-main} n=${2:-41}
ip link set lo up
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && { kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; }; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
git archive "$rev" | tar -x -C "$tmp/src"
(cd "$tmp/src" && go build -o "$tmp/iisctl-rev" ./cmd/iisctl)
go build -o "$tmp/iisctl-this" ./cmd/iisctl
go build -o "$tmp/iissd" ./cmd/iissd
for b in rev this; do cp "$tmp/iisctl-$b" "$tmp/iisctl-$b.x" && mv "$tmp/iisctl-$b.x" "$tmp/iisctl-$b"; done
export IISSD_DEMO_PASSWORD=bench-Passw0rd IISCTL_PASSWORD=bench-Passw0rd
"$tmp/iissd" --demo --listen 127.0.0.1:135 --state "$tmp/state" >"$tmp/iissd.out" 2>"$tmp/iissd.err" &
pid=$!
for _ in $(seq 100); do grep -q "iissd serving" "$tmp/iissd.err" 2>/dev/null && break; sleep 0.1; done
grep -q "iissd serving" "$tmp/iissd.err" || { cat "$tmp/iissd.err" >&2; exit 1; }
echo "startup: $(nproc) CPUs, $(date -u +%FT%TZ), this $(git rev-parse --short HEAD) vs $rev ($(git rev-parse --short "$rev")), $n rounds"
/usr/bin/python3 - "$tmp" "$n" <<'PY'
import resource, statistics, subprocess, sys, time
tmp, n = sys.argv[1], int(sys.argv[2])
bins = {'rev': tmp + '/iisctl-rev', 'this': tmp + '/iisctl-this'}
res = {}
def run(args):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter_ns()
    p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
    wall = (time.perf_counter_ns() - t) / 1e6
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{args}: exit {p.returncode}: {p.stderr[:300]!r}")
    return wall, (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3
for i in range(n):
    for v in (('rev', 'this') if i % 2 == 0 else ('this', 'rev')):
        for what, args in (('version', [bins[v], 'version']), ('status', [bins[v], 'status', '-u', 'admin', '127.0.0.1'])):
            res.setdefault((v, what), []).append(run(args))
med = lambda v, what, i: statistics.median(x[i] for x in res[(v, what)])
for what in ('version', 'status'):
    for v in ('rev', 'this'):
        print(f"  {v:4} iisctl {what:7}: wall {med(v, what, 0):.2f} ms, CPU {med(v, what, 1):.2f} ms")
    print(f"RESULT iisctl {what}: this/rev wall {med('this', what, 0) / med('rev', what, 0):.3f}x, CPU {med('this', what, 1) / med('rev', what, 1):.3f}x (medians of {n} interleaved rounds)")
PY
