#!/usr/bin/env bash
# What Sentry and OpenTelemetry cost `vanish serve` (bench/README.md, "Telemetry"): runs
# bench/run.sh with VARIANT_ENV, so the same release build runs with and without them in
# alternating rounds, and reports server CPU per request and latency side by side.
#
#   bash bench/telemetry.sh cost      # Sentry + OTLP (sampling 1.0) to local sinks vs off
#   bash bench/telemetry.sh dead-dsn  # SENTRY_DSN at a black hole vs no DSN, with an
#                                     # outage scenario where every answer is a 5xx report
#
# Both accept run.sh's knobs (ROUNDS, DURATION, SCENARIOS, SKIP_BUILD, ...). The sinks are
# bench/sinks.py on 127.0.0.1, on free ports; everything stops when this script exits.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=${1:-cost}
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_sink <mode>: starts bench/sinks.py in that mode; sets PORT. (Not in a $(…)
# subshell, so its pid lands in PIDS and the sink stops with this script.)
start_sink() {
    PORT=$(free_port)
    python3 "$ROOT/bench/sinks.py" "$1" "$PORT" >&2 &
    PIDS+=("$!")
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return
        sleep 0.1
    done
    echo "telemetry.sh: sinks.py $1 did not start" >&2
    exit 1
}

case $MODE in
cost)
    start_sink sink
    sentry=$PORT
    start_sink sink
    otlp=$PORT
    export VARIANT_ENV="SENTRY_DSN=http://bench@127.0.0.1:$sentry/1 SENTRY_SAMPLE_RATE=1.0 OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$otlp OTEL_TRACES_SAMPLER=always_on"
    export SCENARIOS=${SCENARIOS:-create meta reveal}
    ;;
dead-dsn)
    start_sink blackhole
    hole=$PORT
    export VARIANT_ENV="SENTRY_DSN=http://bench@127.0.0.1:$hole/1 SENTRY_SAMPLE_RATE=1.0"
    export SCENARIOS=${SCENARIOS:-meta outage}
    ;;
*)
    echo "usage: bash bench/telemetry.sh cost|dead-dsn" >&2
    exit 2
    ;;
esac
echo "telemetry.sh: $MODE, variant: $VARIANT_ENV" >&2
bash "$ROOT/bench/run.sh"
