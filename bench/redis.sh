#!/usr/bin/env bash
# The load benchmark of bench/run.sh with vanish on Redis instead of SQLite: starts a
# private redis-server (free port, temp dir, appendonly yes, appendfsync always — the
# settings docs/operations.md recommends), points REDIS_URL at it, and runs run.sh's
# scenarios. Compare its summary with a plain run.sh on the same machine: the difference
# is the cost of the Redis round trip and of fsyncing Redis's append-only file on every
# write (creates and reveals), against SQLite's group-committed WAL.
#
#   bash bench/redis.sh                         # hello, create, meta, reveal on Redis
#   APPENDFSYNC=everysec bash bench/redis.sh    # what `appendfsync always` costs
#   SCENARIOS="create reveal" DURATION=5 bash bench/redis.sh
#
# Every run.sh knob works here too, except BASELINE_REV (an older revision may not know
# REDIS_URL and would silently measure SQLite). Results go to bench/results/redis-<time>.
# Only 127.0.0.1 is used; the redis-server is stopped and its dir removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APPENDFSYNC=${APPENDFSYNC:-always}
export RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/redis-$(date +%Y%m%d-%H%M%S)}
unset BASELINE_REV

command -v redis-server >/dev/null || { echo "redis.sh: redis-server is not on PATH" >&2; exit 2; }

REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vanish-bench-redis.XXXXXX")
REDIS_PID=
cleanup() {
    if [[ -n $REDIS_PID ]] && kill -0 "$REDIS_PID" 2>/dev/null; then
        kill -TERM "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    rm -rf "$REDIS_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly yes \
    --appendfsync "$APPENDFSYNC" --maxmemory-policy noeviction \
    --dir "$REDIS_DIR" --logfile redis.log &
REDIS_PID=$!
for _ in $(seq 100); do
    [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]] && break
    sleep 0.05
done
[[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]] || { echo "redis.sh: redis-server did not start" >&2; exit 1; }

echo "== redis-server $(redis-server --version | grep -o 'v=[^ ]*') on 127.0.0.1:$PORT, appendfsync $APPENDFSYNC" >&2
mkdir -p "$RESULTS_DIR"
echo "redis: appendonly yes, appendfsync $APPENDFSYNC, port $PORT" >"$RESULTS_DIR/redis.txt"
REDIS_URL=redis://127.0.0.1:$PORT bash "$ROOT/bench/run.sh"
redis-cli -p "$PORT" info commandstats | grep -E 'cmdstat_(evalsha|zadd|hmget|ping)' >>"$RESULTS_DIR/redis.txt" || true
echo "== redis command stats: $RESULTS_DIR/redis.txt" >&2
