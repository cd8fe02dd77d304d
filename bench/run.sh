#!/usr/bin/env bash
# The performance benchmark of issue 13. Builds iissd, iisctl and iisbench,
# then, inside a private network namespace (loopback only, so fixed ports
# and 10,000 127.x addresses collide with nothing), starts iissd with the
# demo's services as a separate process listening on 0.0.0.0 (= every
# 127/8 address there)
# and runs bench/iisbench, which prints every figure with its ratio to a
# baseline measured in the same run:
#   warm Status at privacy on 1 and 16 connections vs a raw two-process
#   TCP exchange of the same sizes (interleaved rounds, median ratios),
#   server CPU per call vs the echo server's CPU per exchange;
#   cold `iisctl status` vs `iisctl version` (process start);
#   iissd memory per idle authenticated connection;
#   `iisctl status` over a fleet of 127.x endpoints.
# Extra arguments go to iisbench all (e.g. -only warm -rounds 3).
# Environment: BENCH_HOLD (default 10000), BENCH_FLEET (default 10000).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${IISBENCH_IN_NS:-}" != 1 ]]; then
	exec env IISBENCH_IN_NS=1 unshare -n -- "$0" "$@"
fi
ip link set lo up
tmp=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && { kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; }; rm -rf "$tmp"' EXIT
go build -o "$tmp/iissd" ./cmd/iissd
go build -o "$tmp/iisctl" ./cmd/iisctl
go build -o "$tmp/iisbench" ./bench/iisbench
ulimit -n "$(ulimit -Hn)"
export IISCTL_PASSWORD=bench-Passw0rd
# The demo's services, in a configuration file: the demo itself listens on
# loopback addresses only, and the fleet needs every 127/8 address, which
# 0.0.0.0 is inside this namespace.
cat >"$tmp/iissd.toml" <<TOML
[listen]
activation = "0.0.0.0:135"
object     = "0.0.0.0:1136"
[security]
users_file     = "$tmp/users"
min_auth_level = "privacy"
[state]
dir = "$tmp/state"
[log]
level = "info"
audit = "-"
[backend]
log_dir = "$tmp/logs"
[limits]
max_conns = 30000                # the memory figure holds 10,000 connections
[[service]]
name = "WAS"
display_name = "Windows Process Activation Service"
command = ["$tmp/iissd", "demo-service"]
start = "auto"
[[service]]
name = "W3SVC"
display_name = "World Wide Web Publishing Service"
command = ["$tmp/iissd", "demo-site", "--listen", "127.0.0.1:8080"]
start = "auto"
depends_on = ["WAS"]
start_check = "127.0.0.1:8080"
[[service]]
name = "FTPSVC"
display_name = "Microsoft FTP Service"
command = ["$tmp/iissd", "demo-service"]
start = "demand"
TOML
mkdir -p "$tmp/state" "$tmp/logs"
printf '%s\n' "$IISCTL_PASSWORD" | "$tmp/iissd" user add --config "$tmp/iissd.toml" admin --password-stdin >/dev/null
"$tmp/iissd" --config "$tmp/iissd.toml" ${IISSD_FLAGS:-} >"$tmp/iissd.out" 2>"$tmp/iissd.err" &
pid=$!
for _ in $(seq 100); do grep -q "iissd serving" "$tmp/iissd.err" 2>/dev/null && break; sleep 0.1; done
grep -q "iissd serving" "$tmp/iissd.err" || { cat "$tmp/iissd.err" >&2; exit 1; }
echo "iisbench: $(nproc) CPUs, $(go version | cut -d' ' -f3), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
"$tmp/iisbench" all -target 127.0.0.1:135 -iissd-pid "$pid" -iisctl "$tmp/iisctl" \
	-hold "${BENCH_HOLD:-10000}" -fleet "${BENCH_FLEET:-10000}" "$@"
