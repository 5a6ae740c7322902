# Sourced by bench/redis.sh and bench/instances.sh: start_redis runs a private
# redis-server on a free 127.0.0.1 port in a temp dir (appendonly yes, appendfsync
# $APPENDFSYNC — `always` by default, what docs/operations.md recommends) and sets
# REDIS_PORT; stop_redis stops it and removes its dir. Callers trap stop_redis on EXIT.

APPENDFSYNC=${APPENDFSYNC:-always}
REDIS_PID=
REDIS_DIR=

start_redis() {
    command -v redis-server >/dev/null || { echo "redis-server is not on PATH" >&2; exit 2; }
    REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vanish-bench-redis.XXXXXX")
    REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes \
        --appendfsync "$APPENDFSYNC" --maxmemory-policy noeviction \
        --dir "$REDIS_DIR" --logfile redis.log &
    REDIS_PID=$!
    for _ in $(seq 100); do
        [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && break
        sleep 0.05
    done
    [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] || { echo "redis-server did not start" >&2; exit 1; }
    echo "== redis-server $(redis-server --version | grep -o 'v=[^ ]*') on 127.0.0.1:$REDIS_PORT, appendfsync $APPENDFSYNC" >&2
}

stop_redis() {
    if [[ -n $REDIS_PID ]] && kill -0 "$REDIS_PID" 2>/dev/null; then
        kill -TERM "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    [[ -z $REDIS_DIR ]] || rm -rf "$REDIS_DIR"
}
