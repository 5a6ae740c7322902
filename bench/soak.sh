#!/usr/bin/env bash
# Soak: one release `vanish serve` under mixed traffic for a long time (default 10
# minutes), from many client addresses behind a trusted proxy, while its resident memory
# and open file descriptors are sampled every few seconds. Fails if either grows by more
# than 10 % after warm-up, or if any 5xx other than 503 is answered. The traffic and the
# verdict are bench/soak.py's.
#
#   bash bench/soak.sh                          # SQLite, 10 minutes
#   STORE=redis bash bench/soak.sh              # on a private redis-server
#   DURATION_S=180 WARMUP_S=30 bash bench/soak.sh
#
# Variables: STORE (sqlite | redis), DURATION_S (600), WARMUP_S (60), INTERVAL_S (5),
# CONCURRENCY (8 client threads), CLIENTS (10000 addresses), SEED, SKIP_BUILD (use
# target/release as it is), RESULTS_DIR (bench/results/soak-<store>-<time>).
#
# The server runs with its default rate limits (so limits and bans are exercised by the
# few hammering clients), TRUSTED_PROXIES=127.0.0.1/32 so X-Forwarded-For names the
# client, and its store in a temp dir. Needs python3 (standard library only).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STORE=${STORE:-sqlite}
DURATION_S=${DURATION_S:-600}
WARMUP_S=${WARMUP_S:-60}
INTERVAL_S=${INTERVAL_S:-5}
CONCURRENCY=${CONCURRENCY:-8}
CLIENTS=${CLIENTS:-10000}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/soak-$STORE-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RESULTS_DIR"

# shellcheck source=bench/redis-server.sh
source "$ROOT/bench/redis-server.sh"
DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vanish-soak.XXXXXX")
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    stop_redis
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z ${SKIP_BUILD:-} ]]; then
    echo "== building the release binary" >&2
    (cd "$ROOT" && nice -n 5 cargo build --release -p vanish)
fi
cp "$ROOT/target/release/vanish" "$RESULTS_DIR/vanish"

store_env=()
case $STORE in
    sqlite) ;;
    redis)
        start_redis
        store_env=(REDIS_URL="redis://127.0.0.1:$REDIS_PORT")
        ;;
    *) echo "soak.sh: STORE is sqlite or redis" >&2; exit 2 ;;
esac

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i PATH="$PATH" VANISH_ADDR="127.0.0.1:$PORT" VANISH_DATA_DIR="$DATA_DIR" \
    LOG_LEVEL=warn TRUSTED_PROXIES=127.0.0.1/32 "${store_env[@]}" \
    "$RESULTS_DIR/vanish" serve 2>"$RESULTS_DIR/server.log" &
SERVER_PID=$!
for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.05
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "soak.sh: server did not start" >&2; exit 1; }

{
    echo "store: $STORE"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "cores: $(nproc)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RESULTS_DIR/environment.txt"

echo "== soak on $STORE for ${DURATION_S} s (warm-up ${WARMUP_S} s), server pid $SERVER_PID" >&2
seed=()
[[ -n ${SEED:-} ]] && seed=(--seed "$SEED")
status=0
python3 "$ROOT/bench/soak.py" --base "http://127.0.0.1:$PORT" --pid "$SERVER_PID" \
    --duration "$DURATION_S" --warmup "$WARMUP_S" --interval "$INTERVAL_S" \
    --concurrency "$CONCURRENCY" --clients "$CLIENTS" --samples "$RESULTS_DIR/samples.csv" \
    "${seed[@]}" | tee "$RESULTS_DIR/summary.txt" || status=$?
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS_DIR/environment.txt"
kill -0 "$SERVER_PID" 2>/dev/null || { echo "soak.sh: the server died" >&2; status=1; }
echo "== results in $RESULTS_DIR" >&2
exit "$status"
