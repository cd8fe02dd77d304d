#!/usr/bin/env bash
# Builds iissd, starts its demo on loopback, runs iisload against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/iissd" ./cmd/iissd
export IISSD_DEMO_PASSWORD=bench-Passw0rd IISCTL_PASSWORD=bench-Passw0rd
"$tmp/iissd" --demo --listen 127.0.0.1:11135 --state "$tmp/state" >"$tmp/iissd.out" 2>"$tmp/iissd.err" &
pid=$!
for _ in $(seq 50); do grep -q "iissd serving" "$tmp/iissd.err" 2>/dev/null && break; sleep 0.1; done
go run ./bench/iisload -target 127.0.0.1:11135 -u admin "$@"
