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
export RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/redis-$(date +%Y%m%d-%H%M%S)}
unset BASELINE_REV
# shellcheck source=bench/redis-server.sh
source "$ROOT/bench/redis-server.sh"
trap stop_redis EXIT
trap 'exit 130' INT TERM
start_redis
PORT=$REDIS_PORT

mkdir -p "$RESULTS_DIR"
echo "redis: appendonly yes, appendfsync $APPENDFSYNC, port $PORT" >"$RESULTS_DIR/redis.txt"
REDIS_URL=redis://127.0.0.1:$PORT REDIS_PID=$REDIS_PID bash "$ROOT/bench/run.sh"
redis-cli -p "$PORT" info commandstats | grep -E 'cmdstat_(evalsha|zadd|hmget|ping)' >>"$RESULTS_DIR/redis.txt" || true
echo "== redis command stats: $RESULTS_DIR/redis.txt" >&2
