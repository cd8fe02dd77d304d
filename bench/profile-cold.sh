#!/usr/bin/env bash
# Profiles the cold path (activate, Status, release) in-process: the
# client's CPU profile from iisbench and iissd's from --pprof.
# Usage: bench/profile-cold.sh [OUTDIR]   (default ./profiles-cold)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${IISBENCH_IN_NS:-}" != 1 ]]; then
	exec env IISBENCH_IN_NS=1 unshare -n -- "$0" "$@"
fi
out=$(realpath -m "${1:-profiles-cold}")
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
"$out/iisbench" all -only coldlib -coldlib-n 4000 -target 127.0.0.1:135 -iissd-pid "$pid" -cpuprofile "$out/client-cpu.pprof" >"$out/load.txt" &
load=$!
sleep 1
curl -s -o "$out/cpu.pprof" "http://127.0.0.1:6060/debug/pprof/profile?seconds=4"
wait $load || true
cat "$out/load.txt"
