#!/usr/bin/env bash
# Instructions per request of `vanish serve` (and of the hello ceiling), counted by
# valgrind's callgrind: the same figure for the same build and inputs however busy the
# machine is, so a change's cost can be measured on a shared machine. Time-based figures
# (req/s, CPU µs) are bench/run.sh's; this is their load-proof companion.
#
#   bash bench/callgrind.sh                       # hello create meta reveal, SQLite
#   STORE=redis bash bench/callgrind.sh           # vanish on a private redis-server
#   REQUESTS=2000 SCENARIOS="create" bash bench/callgrind.sh
#   VANISH_ENV="SENTRY_DSN=… OTEL_EXPORTER_OTLP_ENDPOINT=…" bash bench/callgrind.sh
#
# Per scenario: the server runs under callgrind; after a warm-up its counters are zeroed,
# REQUESTS requests are sent one connection at a time by curl's keep-alive, the counters
# are dumped, and the total is divided by the requests. The profile of each scenario is
# kept (callgrind.out.*) for callgrind_annotate. Only 127.0.0.1 is used.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUESTS=${REQUESTS:-1000}
SCENARIOS=${SCENARIOS:-hello create meta reveal}
STORE=${STORE:-sqlite}
VANISH_ENV=${VANISH_ENV:-}
OUT=${OUT:-$ROOT/bench/results/callgrind-$(date +%Y%m%d-%H%M%S)}
BIN=${BIN:-$ROOT/target/release}
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vanish-callgrind.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v valgrind >/dev/null || { echo "callgrind.sh: needs valgrind" >&2; exit 2; }
[ -x "$BIN/vanish" ] && [ -x "$BIN/bench-hello" ] ||
    cargo build --release -p vanish -p bench-hello

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_up() {
    for _ in $(seq 1 600); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "callgrind.sh: $1 never answered" >&2
    exit 1
}

# Starts a program under callgrind with the environment given (`VAR=value ... program
# args`), writing its profile to $OUT/callgrind.out.$name.
start_profiled() {
    local name=$1 vars=()
    shift
    while [[ $1 == *=* ]]; do vars+=("$1"); shift; done
    env -i PATH="$PATH" "${vars[@]}" valgrind --tool=callgrind \
        --callgrind-out-file="$OUT/callgrind.out.$name" --dump-instr=no --collect-jumps=no \
        "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    PROFILED=$!
}

# Sums the instructions of every dump of a profile after the zeroing.
instructions() {
    local total=0 n
    for f in "$OUT"/callgrind.out."$1".[0-9]*; do
        [ -e "$f" ] || continue
        n=$(awk '/^summary:/ {print $2}' "$f")
        total=$((total + ${n:-0}))
    done
    echo "$total"
}

# Sends $3 requests of a scenario over one keep-alive connection (curl reuses it): the
# options once, then one URL per request.
drive() {
    local scenario=$1 base=$2 n=$3
    : >"$WORK/urls"
    case $scenario in
        hello) seq "$n" | sed "s|.*|url = \"$base/\"|" >>"$WORK/urls" ;;
        meta) head -n "$n" "$WORK/ids" | sed "s|.*|url = \"$base/api/secrets/&/meta\"|" >>"$WORK/urls" ;;
        reveal)
            printf 'request = "POST"\nheader = "content-type: application/json"\ndata = "{}"\n' >>"$WORK/urls"
            head -n "$n" "$WORK/ids" | sed "s|.*|url = \"$base/api/secrets/&/reveal\"|" >>"$WORK/urls" ;;
        create)
            # What `vanish send` uploads for a 188-byte secret: 204 bytes of ciphertext.
            python3 -c 'import base64,os; e=base64.urlsafe_b64encode(os.urandom(204)).decode().rstrip("="); i=base64.urlsafe_b64encode(os.urandom(12)).decode(); print("{\"encrypted\":\"%s\",\"iv\":\"%s\",\"ttl\":3600000,\"maxViews\":1}" % (e, i), end="")' >"$WORK/body"
            printf 'request = "POST"\nheader = "content-type: application/json"\ndata-binary = "@%s"\n' "$WORK/body" >>"$WORK/urls"
            seq "$n" | sed "s|.*|url = \"$base/api/secrets\"|" >>"$WORK/urls" ;;
    esac
    curl -s -K "$WORK/urls" -w '%{stderr}%{http_code}\n' >/dev/null 2>"$WORK/codes.raw"
    sort "$WORK/codes.raw" | uniq -c >"$WORK/codes.$scenario"
}

make_ids() {
    local base=$1 n=$2
    : >"$WORK/ids"
    for _ in $(seq "$n"); do
        curl -s -H 'content-type: application/json' \
            -d '{"encrypted":"c2VjcmV0LWNpcGhlcnRleHQ","iv":"AAECAwQFBgcICQoL","maxViews":2}' \
            "$base/api/secrets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' >>"$WORK/ids"
    done
}

REDIS_URL_SETTING=
if [ "$STORE" = redis ]; then
    rport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
        --dir "$WORK" >"$WORK/redis.log" 2>&1 &
    PIDS+=($!)
    sleep 0.3
    REDIS_URL_SETTING="REDIS_URL=redis://127.0.0.1:$rport/"
fi

printf '%-8s %-8s %10s %14s %8s\n' store scenario requests instr/request codes
for scenario in $SCENARIOS; do
    port=$(free_port)
    base=http://127.0.0.1:$port
    if [ "$scenario" = hello ]; then
        start_profiled hello BENCH_HELLO_ADDR=127.0.0.1:$port "$BIN/bench-hello"
        wait_up "$base/"
    else
        data=$(mktemp -d "$WORK/data.XXXX")
        # shellcheck disable=SC2086
        start_profiled "$scenario" VANISH_ADDR=127.0.0.1:$port VANISH_DATA_DIR="$data" \
            LOG_LEVEL=info RATE_LIMIT_CREATE_PER_WINDOW=100000000 RATE_LIMIT_READ_PER_WINDOW=100000000 \
            $REDIS_URL_SETTING $VANISH_ENV "$BIN/vanish" serve
        wait_up "$base/healthz"
        [ "$scenario" = meta ] || [ "$scenario" = reveal ] && make_ids "$base" "$REQUESTS"
    fi
    drive "$scenario" "$base" 50 # warm-up: caches, pools, the first writer batch
    [ "$scenario" = reveal ] && make_ids "$base" "$REQUESTS"
    callgrind_control -z "$PROFILED" >/dev/null
    drive "$scenario" "$base" "$REQUESTS"
    callgrind_control -d "$PROFILED" >/dev/null
    sleep 0.5
    kill "$PROFILED" 2>/dev/null || true
    wait "$PROFILED" 2>/dev/null || true
    total=$(instructions "$scenario")
    codes=$(tr -s ' \n' ' ' <"$WORK/codes.$scenario")
    printf '%-8s %-8s %10d %14d %8s\n' "$STORE" "$scenario" "$REQUESTS" $((total / REQUESTS)) "$codes"
done
echo "profiles: $OUT (callgrind_annotate $OUT/callgrind.out.<scenario>.*)"
