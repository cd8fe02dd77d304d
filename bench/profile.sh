#!/usr/bin/env bash
# Profiles iissd under warm Status load: CPU, block and mutex profiles
# from iissd --pprof (loopback) while iisbench drives C connections.
# Usage: bench/profile.sh [CONNS] [OUTDIR]   (defaults 1, ./profiles)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${IISBENCH_IN_NS:-}" != 1 ]]; then
	exec env IISBENCH_IN_NS=1 unshare -n -- "$0" "$@"
fi
conns=${1:-1}
out=$(realpath -m "${2:-profiles}")
mkdir -p "$out"
ip link set lo up
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && { kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; }; rm -rf "$tmp"' EXIT
go build -o "$out/iissd" ./cmd/iissd
go build -o "$out/iisbench" ./bench/iisbench
export IISSD_DEMO_PASSWORD=bench-Passw0rd IISCTL_PASSWORD=bench-Passw0rd
"$out/iissd" --demo --listen 127.0.0.1:135 --pprof 127.0.0.1:6060 --state "$tmp/state" >"$tmp/iissd.out" 2>"$tmp/iissd.err" &
pid=$!
for _ in $(seq 100); do grep -q "iissd serving" "$tmp/iissd.err" 2>/dev/null && break; sleep 0.1; done
"$out/iisbench" all -only warm -target 127.0.0.1:135 -iissd-pid "$pid" -status-only -n 10000000 -duration 12s -conns "$conns" -cpuprofile "$out/client-cpu.pprof" >"$out/load.txt" &
load=$!
sleep 3
curl -s -o "$out/cpu.pprof" "http://127.0.0.1:6060/debug/pprof/profile?seconds=6" &
curl -s -o "$out/block0.pprof" "http://127.0.0.1:6060/debug/pprof/block"
curl -s -o "$out/mutex0.pprof" "http://127.0.0.1:6060/debug/pprof/mutex"
wait %curl 2>/dev/null || true
sleep 6.5
curl -s -o "$out/block.pprof" "http://127.0.0.1:6060/debug/pprof/block"
curl -s -o "$out/mutex.pprof" "http://127.0.0.1:6060/debug/pprof/mutex"
curl -s -o "$out/allocs.pprof" "http://127.0.0.1:6060/debug/pprof/allocs"
wait $load || true
cat "$out/load.txt"
echo "profiles in $out: go tool pprof -top $out/iissd $out/cpu.pprof (block/mutex: -base ${out}/block0.pprof)"
