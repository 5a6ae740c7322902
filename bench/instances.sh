#!/usr/bin/env bash
# Many nodes (README, "Deploy"): INSTANCES vanish servers sharing one private Redis,
# the load spread evenly over them as a load balancer would: one wrk per instance, all at
# the same time, each with CONNECTIONS/INSTANCES connections. Measures create and reveal
# and prints per-instance and total req/s, with the worst instance's latency percentiles.
#
#   INSTANCES=2 bash bench/instances.sh
#   INSTANCES=1 bash bench/instances.sh     # the same harness on one instance, for the ratio
#
# Knobs: INSTANCES (2), DURATION (10 s), CONNECTIONS (32), REVEAL_SECRETS (3000, 100 views
# each), APPENDFSYNC (always), SKIP_BUILD (use target/release as is). The ceiling is
# bench/run.sh's hello figure on the same machine. Only 127.0.0.1 is used; everything
# started is stopped on exit. Exit status 1 if any answer was not a 2xx.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INSTANCES=${INSTANCES:-2}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
REVEAL_SECRETS=${REVEAL_SECRETS:-3000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vanish-instances.XXXXXX")
# shellcheck source=bench/redis-server.sh
source "$ROOT/bench/redis-server.sh"
SERVERS=()
cleanup() {
    for pid in "${SERVERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    stop_redis
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -n ${SKIP_BUILD:-} ]] || cargo build --release -p vanish >&2
BIN=$ROOT/target/release/vanish
start_redis

BASES=()
for ((i = 0; i < INSTANCES; i++)); do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    env VANISH_ADDR="127.0.0.1:$port" VANISH_DATA_DIR="$WORK/data-$i" REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
        RATE_LIMIT_CREATE_PER_WINDOW=100000000 RATE_LIMIT_READ_PER_WINDOW=100000000 LOG_LEVEL=warn \
        "$BIN" serve 2>>"$WORK/server-$i.log" &
    SERVERS+=($!)
    BASES+=("http://127.0.0.1:$port")
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.05; done
done
echo "== $INSTANCES instance(s) on one Redis: ${BASES[*]}" >&2

# load <scenario> <script> [args…]: one wrk per instance at once; prints the summary row.
load() {
    local scenario=$1 script=$2
    shift 2
    local per=$((CONNECTIONS / INSTANCES)) i
    for ((i = 0; i < INSTANCES; i++)); do
        wrk -t1 -c"$per" -d"${DURATION}s" --latency -s "$ROOT/bench/wrk/$script" "${BASES[$i]}/" -- "$@" \
            >"$WORK/$scenario-$i.txt" 2>&1 &
    done
    # Wait for this script's wrk children only (the servers run on).
    while pgrep -x -P $$ wrk >/dev/null; do sleep 0.1; done
    awk -v scenario="$scenario" -v n="$INSTANCES" '
        $1 == "BENCH" && $2 == "requests" { req += $3; per[FILENAME] = $3 }
        $1 == "BENCH" && $2 == "duration_us" { dur[FILENAME] = $3 }
        $1 == "BENCH" && $2 == "latency" { if ($3 > p50) p50 = $3; if ($4 > p90) p90 = $4; if ($5 > p99) p99 = $5 }
        $1 == "BENCH" && $2 == "code" && ($3 < 200 || $3 > 299) { bad += $4 }
        END {
            for (f in per) { rps += per[f] / (dur[f] / 1e6); list = list sprintf(" %.0f", per[f] / (dur[f] / 1e6)) }
            printf "%-8s %9.0f  (per instance:%s)  p50 %.2f  p90 %.2f  p99 %.2f ms  non-2xx %d\n",
                scenario, rps, list, p50 / 1000, p90 / 1000, p99 / 1000, bad
            if (bad > 0) exit 1
        }' "$WORK/$scenario"-*.txt
}

ok=0
load create create.lua || ok=1

# Reveal needs ids with views: create them up front on the first instance.
body() { printf '{"encrypted":"%s","iv":"AAECAwQFBgcICQoL","ttl":3600000,"maxViews":100}' \
    "$(head -c 204 /dev/urandom | base64 -w0 | tr '+/' '-_')"; }
BODY=$(body)
seq "$REVEAL_SECRETS" | xargs -P 16 -I{} curl -s -H 'Content-Type: application/json' \
    --data "$BODY" "${BASES[0]}/api/secrets" | grep -o '"id":"[A-Za-z0-9]*"' | cut -d'"' -f4 >"$WORK/ids"
[[ $(wc -l <"$WORK/ids") == "$REVEAL_SECRETS" ]] || { echo "could not create $REVEAL_SECRETS secrets" >&2; exit 1; }
load reveal reveal.lua "$WORK/ids" 1 || ok=1
echo "== $(nproc) cores shared by wrk, $INSTANCES vanish and redis-server (appendfsync $APPENDFSYNC); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit $ok
