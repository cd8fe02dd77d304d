#!/usr/bin/env bash
# The attacks of issue 12 against a running iissd, bounded in time, on
# loopback inside a private network namespace. Builds iissd, iisctl and
# bench/iisattack, starts iissd with the demo's services, then:
#   memory  100 unauthenticated binds streaming 4 MiB each: iissd's RSS before/after
#   slots   2,000 unauthenticated connections from 20 addresses; the admin's Status meanwhile
#   guess   wrong passwords from one address for 20 s: guesses per second answered
#   cancel  co_cancel every second on an unauthenticated connection
#   check   another process on W3SVC's start-check address: what Start answers
#   kill9   kill -9 of iissd: service processes left, and after the next start
#   soak    (not in the default set) iisload's warm and cold workloads, ATTACK_SECONDS
#           each, with iissd's RSS every 5 s: it must stay flat
# IISSD_BIN runs a given iissd binary instead of building this tree's.
# Usage: bench/attack.sh [mode...]   (default: all; ATTACK_SECONDS bounds each, default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${IISATTACK_IN_NS:-}" != 1 ]]; then
	exec env IISATTACK_IN_NS=1 unshare -n -- "$0" "$@"
fi
ip link set lo up
tmp=$(mktemp -d)
pid=
squat=
trap '[[ -n $squat ]] && kill $squat 2>/dev/null; [[ -n $pid ]] && { kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; }; pkill -g "$(cat "$tmp/pgids" 2>/dev/null || echo 0)" 2>/dev/null; rm -rf "$tmp"' EXIT
if [[ -n "${IISSD_BIN:-}" ]]; then cp "$IISSD_BIN" "$tmp/iissd"; else go build -o "$tmp/iissd" ./cmd/iissd; fi
go build -o "$tmp/iisctl" ./cmd/iisctl
go build -o "$tmp/iisattack" ./bench/iisattack
go build -o "$tmp/iisload" ./bench/iisload
ulimit -n "$(ulimit -Hn)"
export IISCTL_PASSWORD=attack-Passw0rd
secs=${ATTACK_SECONDS:-30}
cat >"$tmp/iissd.toml" <<TOML
[listen]
activation = "127.0.0.1:135"
object     = "127.0.0.1:1136"
[security]
users_file = "$tmp/users"
[state]
dir = "$tmp/state"
[log]
level = "info"
audit = "$tmp/audit.log"
[backend]
log_dir = "$tmp/logs"
[[service]]
name = "WAS"
command = ["$tmp/iissd", "demo-service"]
start = "auto"
[[service]]
name = "W3SVC"
command = ["$tmp/iissd", "demo-site", "--listen", "127.0.0.1:8080"]
start = "auto"
depends_on = ["WAS"]
start_check = "127.0.0.1:8080"
TOML
mkdir -p "$tmp/state" "$tmp/logs"
printf '%s\n' "$IISCTL_PASSWORD" | "$tmp/iissd" user add --config "$tmp/iissd.toml" admin --password-stdin >/dev/null

start_iissd() {
	"$tmp/iissd" --config "$tmp/iissd.toml" >>"$tmp/iissd.out" 2>>"$tmp/iissd.err" &
	pid=$!
	for _ in $(seq 100); do
		"$tmp/iisctl" status 127.0.0.1 -u admin 2>/dev/null | grep -q Running && return 0
		sleep 0.2
	done
	cat "$tmp/iissd.err" >&2
	exit 1
}
rss() { awk '/VmRSS/ {print int($2/1024) " MiB"}' "/proc/$1/status"; }
service_procs() { # processes in the groups recorded in the pid file of the first iissd
	local n=0 g
	for g in $(cat "$tmp/pgids"); do
		n=$((n + $(ps -e -o pgid=,stat= | awk -v g="$g" '$1 == g && $2 !~ /^Z/' | wc -l)))
	done
	echo "$n"
}

start_iissd
modes=("$@")
[[ ${#modes[@]} -eq 0 ]] && modes=(memory slots guess cancel check kill9)
for m in "${modes[@]}"; do
	case $m in
	memory)
		echo "memory: iissd RSS before $(rss "$pid")"
		timeout $((secs + 5)) "$tmp/iisattack" -target 127.0.0.1:135 -mode memory -conns 100 -duration "${secs}s"
		echo "memory: iissd RSS after $(rss "$pid")" ;;
	slots)
		timeout $((secs + 5)) "$tmp/iisattack" -target 127.0.0.1:135 -mode slots -conns 2000 -addrs 20 -user admin -duration "${secs}s" ;;
	guess)
		bad0=$(grep -c '"reason":"bad credentials"' "$tmp/audit.log" || true)
		gsecs=$((secs < 20 ? secs : 20))
		timeout $((secs + 5)) "$tmp/iisattack" -target 127.0.0.1:135 -mode guess -user admin -duration "${gsecs}s"
		bad1=$(grep -c '"reason":"bad credentials"' "$tmp/audit.log" || true)
		echo "guess: of those, $((bad1 - bad0)) were checked against the password (audit trail: bad credentials): $(awk -v n=$((bad1 - bad0)) -v s="$gsecs" 'BEGIN {printf "%.2f", n/s}') guesses/s; the rest were refused unchecked"
		echo "guess: a correct logon from a clean address meanwhile:"
		/usr/bin/time -f "guess: iisctl status from 127.0.0.1 took %es" timeout 30 "$tmp/iisctl" status 127.0.0.1 -u admin | head -3 ;;
	cancel)
		timeout $((secs + 5)) "$tmp/iisattack" -target 127.0.0.1:135 -mode cancel -duration "${secs}s" ;;
	check)
		"$tmp/iisctl" stop 127.0.0.1 -u admin >/dev/null
		"$tmp/iissd" demo-site --listen 127.0.0.1:8080 >/dev/null 2>&1 &
		squat=$!
		sleep 0.5
		echo "check: start while another process holds W3SVC's check address:"
		"$tmp/iisctl" start 127.0.0.1 -u admin || echo "check: iisctl exit code $?"
		kill $squat; wait $squat 2>/dev/null || true; squat=
		"$tmp/iisctl" start 127.0.0.1 -u admin >/dev/null ;;
	kill9)
		awk '{print $2}' "$tmp/state/supervisor.pids" >"$tmp/pgids"
		echo "kill9: service processes before: $(service_procs)"
		kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
		sleep 0.5
		echo "kill9: left after kill -9 of iissd: $(service_procs)"
		start_iissd
		echo "kill9: of those, left after the next iissd started: $(service_procs)" ;;
	soak)
		"$tmp/iisload" -target 127.0.0.1:135 -c 8 -n 100000000 -duration "${secs}s" >"$tmp/soak.out" 2>&1 &
		load=$!
		while kill -0 $load 2>/dev/null; do echo "soak: iissd RSS $(rss "$pid")"; sleep 5; done
		wait $load || true
		tail -n 5 "$tmp/soak.out"
		echo "soak: iissd warnings and errors: $(grep -c -E 'level=(WARN|ERROR)' "$tmp/iissd.err" || true)"
		grep -E 'level=(WARN|ERROR)' "$tmp/iissd.err" | cut -c1-300 | sort | uniq -c | sort -rn | head -5 || true ;;
	*) echo "unknown mode $m" >&2; exit 2 ;;
	esac
done
echo "--- iissd's log (refusals, throttling, audit outage):"
grep -E "over the limits|failed logons|rpc: connections|start check address|previous iissd" "$tmp/iissd.err" | tail -n 20 || true
echo "--- audit trail: $(grep -c '"method":"Logon"' "$tmp/audit.log" || true) refused logons, $(grep -c LogonSummary "$tmp/audit.log" || true) summaries"
