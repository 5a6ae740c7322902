#!/usr/bin/env bash
# Load benchmark of `vanish serve` against a hello-world ceiling, with wrk, on loopback.
# What it measures and how to read it: bench/README.md.
#
#   bash bench/run.sh                                 # current tree: hello, create, meta, reveal
#   BASELINE_REV=7be527a ROUNDS=3 bash bench/run.sh   # plus that revision, before/after
#
# Knobs (environment):
#   DURATION=10          seconds per scenario
#   THREADS=2            wrk threads
#   CONNECTIONS=32       wrk connections (all kept alive)
#   ROUNDS=1             repeat everything; the table shows medians and the req/s range
#   REVEAL_SECRETS=      secrets created for the reveal and metadata scenarios; by default
#                        enough views for 1.5x the hello ceiling's rate for DURATION (a
#                        reveal cannot beat the ceiling), and at least 2000
#   REVEAL_VIEWS=100     views each of them allows (above 100 raises the server's MAX_VIEWS)
#   SCENARIOS="hello create meta reveal"   subset to run; `outage` (not in the default
#                        set) creates against a server whose Redis never answers, so
#                        every answer is a 503 STORE_UNAVAILABLE (a 5xx on every request)
#   BASELINE_REV=<rev>   also build <rev> in a temporary git worktree and run it
#   VARIANT_ENV="A=1 B=2"  also run the current build with these extra variables (target
#                        `variant`), rounds alternating which goes first; not with
#                        BASELINE_REV. bench/telemetry.sh uses it for Sentry and OTLP.
#   PREFILL_SECONDS=<s>  the `variant` runs on a full store: before its scenarios, <s>
#                        seconds of creates that stay and <s> of creates that expire
#                        while the scenarios run (and get swept); bench/scale.sh uses it
#   LOG=warn             the server's LOG_LEVEL; `info` adds an access-log line per request
#   SKIP_BUILD=1         use the binaries already in target/release
#   COUNT_SYNCS=1        count the server's fsync/fdatasync calls with `perf stat` (needs
#                        perf and tracepoint access) and print requests per sync
#   RESULTS_DIR=<dir>    where raw wrk output and logs go (default bench/results/<time>)
#   REDIS_PID=<pid>      also report that redis-server's CPU per request (bench/redis.sh sets it)
#
# It only ever talks to 127.0.0.1, on free ports it picks, and stops everything it started
# when it exits, however it exits. Exit status 1 if any figure is void (see the table).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WRK_DIR=$ROOT/bench/wrk
HOST=127.0.0.1

DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-1}
REVEAL_SECRETS=${REVEAL_SECRETS:-}
REVEAL_VIEWS=${REVEAL_VIEWS:-100}
SCENARIOS=${SCENARIOS:-hello create meta reveal}
BASELINE_REV=${BASELINE_REV:-}
VARIANT_ENV=${VARIANT_ENV:-}
PREFILL_SECONDS=${PREFILL_SECONDS:-}
LOG=${LOG:-warn}
SKIP_BUILD=${SKIP_BUILD:-}
COUNT_SYNCS=${COUNT_SYNCS:-}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}

for n in DURATION THREADS CONNECTIONS ROUNDS REVEAL_VIEWS ${REVEAL_SECRETS:+REVEAL_SECRETS} ${PREFILL_SECONDS:+PREFILL_SECONDS}; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: $n must be a positive integer, got '${!n}'" >&2; exit 2; }
done

if [[ -n $BASELINE_REV && -n $VARIANT_ENV$PREFILL_SECONDS ]]; then
    echo "run.sh: BASELINE_REV and VARIANT_ENV/PREFILL_SECONDS compare against the current build each; set one" >&2
    exit 2
fi
# The target compared with `current`, if any.
OTHER=${BASELINE_REV:+baseline}
OTHER=${OTHER:-${VARIANT_ENV:+variant}}
OTHER=${OTHER:-${PREFILL_SECONDS:+variant}}

mkdir -p "$RESULTS_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vanish-bench.XXXXXX")
# One line per measurement: round target scenario req/s p50 p90 p99 (µs) non-2xx
# socket-errors server-CPU-µs-per-request status-codes note. The table comes from this file.
SUMMARY=$RESULTS_DIR/summary.tsv
: >"$SUMMARY"
: >"$RESULTS_DIR/memory.txt"
PIDS=()
WORKTREE=
FAILED=0
ROUND=1

log() { echo "== $*" >&2; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    if [[ -n $WORKTREE ]]; then
        git -C "$ROOT" worktree remove --force "$WORKTREE" >/dev/null 2>&1 || true
        git -C "$ROOT" worktree prune >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# SIGTERM (vanish drains in-flight requests), then SIGKILL after 5 s; to the whole process
# group when the pid leads one (in_background's children: cargo's rustc, for instance). A
# stopped pid leaves PIDS at once, so cleanup never signals a recycled pid that is no
# longer ours.
stop_pid() {
    local pid=$1 i target kept=()
    if kill -0 "$pid" 2>/dev/null; then
        target=$pid
        [[ $(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') == "$pid" ]] && target=-$pid
        kill -TERM -- "$target" 2>/dev/null || true
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "$target" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    for i in "${PIDS[@]}"; do
        if [[ $i != "$pid" ]]; then kept+=("$i"); fi
    done
    PIDS=("${kept[@]}")
}

# in_background <command...>: runs it in its own process group as a child the traps can
# stop at once (bash defers a trap until a foreground child returns; `wait` it
# interrupts), and returns its exit status.
in_background() {
    local pid status=0
    setsid "$@" &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || status=$?
    stop_pid "$pid"
    return "$status"
}

ensure_wrk() {
    command -v wrk >/dev/null && return
    log "wrk is missing; installing the Debian package"
    local sudo=
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get install -y wrk >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y wrk >&2; }
}

# A port nobody listens on right now (the kernel's pick when python3 is there).
free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
        return
    fi
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

wait_ready() {
    local url=$1 pid=$2 i
    for i in $(seq 200); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { echo "run.sh: server exited before answering $url" >&2; return 1; }
        sleep 0.05
    done
    echo "run.sh: $url did not answer within 10 s" >&2
    return 1
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# User + system CPU time of a process so far, in clock ticks (fields 14 and 15 of stat).
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    awk '{print $12 + $13}' <<<"$stat"
}

# The same for the SQLite store's one writer thread (named `sqlite-writer`), 0 if none:
# the serial part of every create and reveal, which more cores would not spread.
writer_ticks() {
    local task stat
    for task in /proc/"$1"/task/*; do
        [[ $(cat "$task/comm" 2>/dev/null) == sqlite-writer ]] || continue
        stat=$(cat "$task/stat")
        stat=${stat##*) }
        awk '{print $12 + $13}' <<<"$stat"
        return
    done
    echo 0
}

# Share of all cores busy over the last second, idle and iowait aside. Taken while this
# script runs nothing, it is what other processes are taking from the benchmark right now
# (the load average lags by minutes).
cpu_busy() {
    local a
    a=$(head -n1 /proc/stat)
    sleep 1
    busy_since "$a"
}

# busy_since <first line of /proc/stat taken earlier>: share of all cores busy since then.
busy_since() {
    local a=$1 b
    b=$(head -n1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 2; i <= n; i++) { d = y[i] - x[i]; total += d; if (i == 5 || i == 6) idle += d }
        printf "%.0f%%", total ? 100 * (total - idle) / total : 0
    }'
}

# start_vanish <binary> <label> [outage]: a fresh data dir each time; sets BASE and
# SERVER_PID. The `variant` gets VARIANT_ENV; with `outage`, the store is a Redis at a port
# nobody listens on.
start_vanish() {
    local bin=$1 label=$2 outage=${3:-} port data
    port=$(free_port)
    data=$WORK/data-$label-$ROUND$outage
    mkdir -p "$data"
    DATA_DIR=$data
    local extra=()
    if ((REVEAL_VIEWS > 100)); then extra+=("MAX_VIEWS=$REVEAL_VIEWS"); fi
    if [[ $label == variant ]]; then
        local variant
        read -ra variant <<<"$VARIANT_ENV"
        extra+=("${variant[@]}")
        # A full store's expiring half must be swept while the scenarios run.
        if [[ -n $PREFILL_SECONDS ]]; then extra+=(TTL_MIN_MS=1000 SWEEP_INTERVAL_MS=10000); fi
    fi
    if [[ -n $outage ]]; then extra+=("REDIS_URL=redis://$HOST:$(free_port)"); fi
    # RUST_LOG for revisions that predate LOG_LEVEL. At `warn` (the default) no build pays
    # for a log line per request; at `info` each writes its access log.
    env VANISH_ADDR="$HOST:$port" VANISH_DATA_DIR="$data" \
        RATE_LIMIT_CREATE_PER_WINDOW=100000000 RATE_LIMIT_READ_PER_WINDOW=100000000 \
        LOG_LEVEL="$LOG" RUST_LOG="$LOG" "${extra[@]}" \
        "$bin" serve >>"$RESULTS_DIR/$label-server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    BASE=http://$HOST:$port
    wait_ready "$BASE/healthz" "$SERVER_PID"
}

start_hello() {
    local port
    port=$(free_port)
    "$BIN/bench-hello" "$HOST:$port" >>"$RESULTS_DIR/hello-server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    BASE=http://$HOST:$port
    wait_ready "$BASE/" "$SERVER_PID"
}

# record <target> <scenario> <rps> <p50> <p90> <p99> <max> <non2xx> <sockerr> <cpu> <codes> [note]
record() {
    local IFS=$'\t'
    echo "$ROUND${IFS}$*" >>"$SUMMARY"
}

# run_wrk <target> <scenario> <url> <script> [script args...]: prints wrk's report and
# records it. Sets REQS and CODES ("200:n 404:n") for the caller.
run_wrk() {
    local target=$1 scenario=$2 url=$3 script=$4
    shift 4
    local out=$RESULTS_DIR/$target-$scenario-$ROUND.txt
    local before ticks_before ticks_after writer_before writer_after stat_before machine_busy cpu
    before="load average $(load_avg), others' CPU $(cpu_busy)"
    log "round $ROUND, $target / $scenario: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s ($before)"
    local perf_pid= syncs
    if [[ -n $COUNT_SYNCS ]]; then
        perf stat -x, -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync \
            -p "$SERVER_PID" -o "$out.syncs" &
        perf_pid=$!
        PIDS+=("$perf_pid")
        sleep 0.2
    fi
    ticks_before=$(cpu_ticks "$SERVER_PID")
    writer_before=$(writer_ticks "$SERVER_PID")
    local redis_before=
    if [[ -n ${REDIS_PID:-} && $target != hello ]]; then redis_before=$(cpu_ticks "$REDIS_PID"); fi
    stat_before=$(head -n1 /proc/stat)
    in_background wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$url" -- "$@" >"$out" 2>&1 || {
        cat "$out" >&2
        echo "run.sh: wrk failed for $target/$scenario" >&2
        FAILED=1
        return 1
    }
    ticks_after=$(cpu_ticks "$SERVER_PID")
    writer_after=$(writer_ticks "$SERVER_PID")
    local redis_after=
    if [[ -n $redis_before ]]; then redis_after=$(cpu_ticks "$REDIS_PID"); fi
    machine_busy=$(busy_since "$stat_before")
    if [[ -n $perf_pid ]]; then
        # perf stat prints its counts on SIGINT.
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
        stop_pid "$perf_pid"
        syncs=$(awk -F, '/sys_enter_f/ {n += $1} END {print n + 0}' "$out.syncs" 2>/dev/null || echo 0)
        echo "BENCH syncs $syncs" >>"$out"
    fi
    echo "before: $before; load average after: $(load_avg)" >>"$out"
    grep -v '^BENCH ' "$out" >&2
    local dur p50 p90 p99 max sock non2xx rps
    REQS=$(awk '$1 == "BENCH" && $2 == "requests" {print $3}' "$out")
    dur=$(awk '$1 == "BENCH" && $2 == "duration_us" {print $3}' "$out")
    read -r p50 p90 p99 max < <(awk '$1 == "BENCH" && $2 == "latency" {print $3, $4, $5, $6}' "$out")
    sock=$(awk '$1 == "BENCH" && $2 == "socket_errors" {print $3 + $4 + $5 + $6}' "$out")
    non2xx=$(awk '$1 == "BENCH" && $2 == "code" && ($3 < 200 || $3 > 299) {n += $4} END {print n + 0}' "$out")
    CODES=$(awk '$1 == "BENCH" && $2 == "code" {printf "%s%s:%s", sep, $3, $4; sep = " "}' "$out")
    echo "   status codes: $CODES; socket errors: $sock" >&2
    if [[ -n $perf_pid ]]; then
        echo "   syncs: $syncs fsync/fdatasync calls, $(awk -v n="$REQS" -v s="$syncs" -v d="$dur" \
            'BEGIN {printf "%.0f per second, %s requests per sync", s / (d / 1e6), s ? sprintf("%.1f", n / s) : "-"}')" >&2
    fi
    rps=$(awk -v n="$REQS" -v d="$dur" 'BEGIN {printf "%.0f", n / (d / 1e6)}')
    cpu=$(awk -v t="$((ticks_after - ticks_before))" -v hz="$(getconf CLK_TCK)" -v n="$REQS" \
        'BEGIN {printf "%.1f", n ? t / hz * 1e6 / n : 0}')
    echo "   server CPU: $cpu µs per request ($(awk -v t="$((ticks_after - ticks_before))" \
        -v hz="$(getconf CLK_TCK)" -v d="$dur" 'BEGIN {printf "%.2f", t / hz / (d / 1e6)}') cores busy;" \
        "all $(nproc) cores $machine_busy busy, wrk included)" | tee -a "$out" >&2
    if [[ -n $redis_before ]]; then
        awk -v t="$((redis_after - redis_before))" -v hz="$(getconf CLK_TCK)" -v n="$REQS" \
            'BEGIN {printf "   redis-server: %.1f µs CPU per request\n", n ? t / hz * 1e6 / n : 0}' | tee -a "$out" >&2
    fi
    if ((writer_after > writer_before)); then
        awk -v t="$((writer_after - writer_before))" -v hz="$(getconf CLK_TCK)" -v n="$REQS" -v d="$dur" \
            'BEGIN {printf "   SQLite writer thread: %.1f µs CPU per request, on CPU %.0f%% of the run\n",
                t / hz * 1e6 / n, 100 * t / hz / (d / 1e6)}' | tee -a "$out" >&2
    fi
    RECORDED=("$target" "$scenario" "$rps" "$p50" "$p90" "$p99" "$max" "$non2xx" "$sock" "$cpu" "$CODES")
}

# create_body <maxViews>: a create request as a client sends it for a short secret (the
# same shape as bench/wrk/create.lua: 204 bytes of ciphertext, 12-byte nonce, 1 h TTL).
create_body() {
    local enc iv
    enc=$(head -c 204 /dev/urandom | base64 -w0 | tr '+/' '-_')
    iv=$(head -c 12 /dev/urandom | base64 -w0 | tr '+/' '-_')
    printf '{"encrypted":"%s","iv":"%s","ttl":3600000,"maxViews":%s}' "$enc" "$iv" "$1"
}

# precreate <base> <count> <views> <ids file>: creates the secrets reveal and metadata
# run on, 32 at a time over keep-alive connections, and checks every one was created.
precreate() {
    local base=$1 count=$2 views=$3 ids=$4 cfg=$WORK/precreate.curl data i
    # One transfer per secret in a curl config file; the body quoted for that format.
    data=$(create_body "$views" | sed 's/["\\]/\\&/g; s/^/"/; s/$/"/')
    for ((i = 0; i < count; i++)); do
        if ((i > 0)); then echo next; fi
        printf 'url = "%s/api/secrets"\nheader = "Content-Type: application/json"\ndata = %s\nwrite-out = "\\n"\n' \
            "$base" "$data"
    done >"$cfg"
    curl -sS --no-progress-meter -Z --parallel-max 32 -K "$cfg" >"$WORK/precreate.out" 2>"$WORK/precreate.err" || {
        cat "$WORK/precreate.err" >&2
        return 1
    }
    grep -o '"id":"[A-Za-z0-9]*"' "$WORK/precreate.out" | cut -d'"' -f4 >"$ids"
    local made views_ok
    made=$(wc -l <"$ids")
    views_ok=$(grep -o "\"maxViews\":$views[,}]" "$WORK/precreate.out" | wc -l)
    if ((made != count || views_ok != count)); then
        echo "run.sh: asked for $count secrets with $views views, got $made ids ($views_ok with maxViews $views)" >&2
        head -c 600 "$WORK/precreate.out" >&2
        return 1
    fi
}

has_scenario() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# prefill <target>: fills the store at BASE before the scenarios: PREFILL_SECONDS of
# creates (wrk, 2 threads, 32 connections) of secrets that stay for an hour, then as long
# again of secrets that expire between 5 s and PREFILL_SECONDS + 5 s after the fill ends,
# so the sweeper (every 10 s here) drops a large backlog while the scenarios run.
prefill() {
    local target=$1 ttl out kept expiring
    ttl=$(((PREFILL_SECONDS + 5) * 1000))
    log "$target: prefilling for 2 x ${PREFILL_SECONDS}s (the second half expires within ${ttl} ms)"
    for half in 3600000 "$ttl"; do
        out=$RESULTS_DIR/$target-prefill-$half-$ROUND.txt
        in_background wrk -t2 -c32 -d"${PREFILL_SECONDS}s" -s "$WRK_DIR/create.lua" "$BASE/" -- "$half" >"$out" 2>&1 || {
            cat "$out" >&2
            return 1
        }
    done
    kept=$(awk '$1 == "BENCH" && $2 == "code" && $3 == 201 {print $4}' "$RESULTS_DIR/$target-prefill-3600000-$ROUND.txt")
    expiring=$(awk '$1 == "BENCH" && $2 == "code" && $3 == 201 {print $4}' "$RESULTS_DIR/$target-prefill-$ttl-$ROUND.txt")
    echo "$ROUND $target prefill: ${kept:-0} kept + ${expiring:-0} expiring = $((kept + expiring)) secrets; data dir $(du -sb "$DATA_DIR" | cut -f1) bytes" |
        tee -a "$RESULTS_DIR/memory.txt" >&2
}

# memory <target> <when>: the server's resident memory (now and its peak) and the size of
# its data dir, into memory.txt.
memory() {
    local rss hwm
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
    echo "$ROUND $1 $2: RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB), data dir $(du -sb "$DATA_DIR" | cut -f1) bytes" |
        tee -a "$RESULTS_DIR/memory.txt" >&2
}

# bench_vanish <binary> <target label>: create, then metadata and reveal over fresh
# secrets, each only if this revision answers the route (old revisions may lack some).
bench_vanish() {
    local bin=$1 target=$2 ids=$WORK/ids-$2 status
    start_vanish "$bin" "$target"
    log "round $ROUND, $target: $("$bin" --version 2>/dev/null || echo vanish) on $BASE"
    sleep 1
    memory "$target" idle
    if [[ $target == variant && -n $PREFILL_SECONDS ]]; then
        prefill "$target" || { FAILED=1; stop_pid "$SERVER_PID"; return; }
        memory "$target" "after the prefill"
    fi

    if has_scenario create; then
        status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
            --data "$(create_body 1)" "$BASE/api/secrets")
        if [[ $status != 201 ]]; then
            log "$target: POST /api/secrets answered $status, not 201: create not measured"
            record "$target" create - - - - - - - - - "not measured: create answered $status"
        elif run_wrk "$target" create "$BASE/" "$WRK_DIR/create.lua"; then
            record "${RECORDED[@]}"
        fi
    fi

    if has_scenario meta || has_scenario reveal; then
        log "$target: creating $REVEAL_SECRETS secrets with $REVEAL_VIEWS views each"
        if ! precreate "$BASE" "$REVEAL_SECRETS" "$REVEAL_VIEWS" "$ids"; then
            FAILED=1
            stop_pid "$SERVER_PID"
            return
        fi
    fi

    if has_scenario meta; then
        status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/secrets/$(head -n1 "$ids")/meta")
        if [[ $status != 200 ]]; then
            log "$target: GET …/meta answered $status: metadata not measured (route missing in this revision?)"
            record "$target" meta - - - - - - - - - "not measured: meta answered $status"
        elif run_wrk "$target" meta "$BASE/" "$WRK_DIR/meta.lua" "$ids" "$THREADS"; then
            record "${RECORDED[@]}"
        fi
    fi

    if has_scenario reveal && run_wrk "$target" reveal "$BASE/" "$WRK_DIR/reveal.lua" "$ids" "$THREADS"; then
        # Every answer must have been a 200: a 404 means an id ran out of views, and a
        # stream of cheap 404s would inflate the figure.
        local budget=$((REVEAL_SECRETS * REVEAL_VIEWS)) ok
        ok=$(tr ' ' '\n' <<<"$CODES" | awk -F: '$1 == 200 {n = $2} END {print n + 0}')
        echo "   reveal: $ok views consumed of $budget created ($((100 * ok / budget))%)" >&2
        if ((REQS != ok)); then
            echo "   reveal on $target VOID: not every answer was a 200 ($CODES); with 404s the ids ran out of views, raise REVEAL_SECRETS" >&2
            record "${RECORDED[@]}" VOID
            FAILED=1
        else
            record "${RECORDED[@]}"
        fi
    fi

    memory "$target" "after the scenarios"
    if has_scenario outage; then
        stop_pid "$SERVER_PID"
        start_vanish "$bin" "$target" outage
        log "$target: the store is a Redis that is not there; every create answers 503"
        if run_wrk "$target" outage "$BASE/" "$WRK_DIR/create.lua"; then
            record "${RECORDED[@]}"
        fi
    fi
    stop_pid "$SERVER_PID"
}

bench_hello() {
    start_hello
    if run_wrk hello hello "$BASE/" "$WRK_DIR/hello.lua"; then
        record "${RECORDED[@]}"
    fi
    stop_pid "$SERVER_PID"
}

build_current() {
    if [[ -n $SKIP_BUILD ]]; then
        log "SKIP_BUILD set: using target/release as it is"
    else
        log "building release: vanish and bench-hello (may wait for other cargo builds' lock)"
        in_background env -C "$ROOT" cargo build --release -p vanish -p bench-hello
    fi
    # Copies, so a concurrent build in this shared target dir cannot swap the binary
    # under the benchmark.
    BIN=$WORK/bin
    mkdir -p "$BIN"
    cp "$ROOT/target/release/vanish" "$ROOT/target/release/bench-hello" "$BIN/"
}

# The baseline is built from a clean checkout of BASELINE_REV in its own target dir, so
# it neither disturbs nor is disturbed by the tree's build; its dependencies stay cached
# there for the next run.
build_baseline() {
    local rev=$1
    WORKTREE=$WORK/baseline-src
    git -C "$ROOT" worktree add --detach --quiet "$WORKTREE" "$rev"
    log "building release of $rev ($(git -C "$ROOT" log -1 --format='%h %s' "$rev"))"
    in_background env -C "$WORKTREE" CARGO_TARGET_DIR="$ROOT/target/bench-baseline" \
        cargo build --release -p vanish
    cp "$ROOT/target/bench-baseline/release/vanish" "$BIN/vanish-baseline"
}

# Mean time of a 4 KiB write + sync where the stores live: the unit a group commit pays.
fsync_probe() {
    local secs
    secs=$(LC_ALL=C dd if=/dev/zero of="$WORK/fsync-probe" bs=4k count=500 oflag=dsync 2>&1 |
        awk '/copied/ {for (i = 1; i <= NF; i++) if ($i == "s," || $i == "s") print $(i - 1)}')
    rm -f "$WORK/fsync-probe"
    awk -v s="$secs" 'BEGIN {printf "4 KiB write+sync %.3f ms mean", s * 1000 / 500}'
}

print_environment() {
    {
        echo "date:        $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "cpu:         $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
        echo "load:        $(load_avg) (1, 5, 15 min) at start"
        echo "tree:        $(git -C "$ROOT" describe --always --dirty) ($(git -C "$ROOT" status --porcelain --untracked-files=no | wc -l) tracked files with uncommitted changes)"
        echo "baseline:    ${BASELINE_REV:-none}"
        echo "variant:     ${VARIANT_ENV:-none}"
        echo "data dir:    $WORK ($(df -PT "$WORK" | awk 'NR == 2 {print $2}'), $(fsync_probe))"
        echo "store:       ${REDIS_URL:+Redis at $REDIS_URL (from REDIS_URL; the data dir is unused)}${REDIS_URL:-SQLite in the data dir}"
        echo "log level:   $LOG (server output goes to $RESULTS_DIR/<target>-server.log)"
        echo "wrk:         -t$THREADS -c$CONNECTIONS -d${DURATION}s x $ROUNDS round(s), on the same cores as the server"
    } | tee "$RESULTS_DIR/environment.txt" >&2
}

# The table: per target and scenario, the median over rounds of requests/s, of each
# latency percentile (ms) and of the server's CPU time per request; the req/s range,
# non-2xx answers summed over rounds, and the median as a share of the hello ceiling's
# median. Then each vanish scenario's change against the baseline.
print_summary() {
    echo
    echo "Results ($RESULTS_DIR)"
    awk -F'\t' -v other="$OTHER" -v otherdesc="${BASELINE_REV:-VARIANT_ENV=$VARIANT_ENV${PREFILL_SECONDS:+ PREFILL_SECONDS=$PREFILL_SECONDS}}" '
        function median(list,    n, v, i, j, t) {
            n = split(list, v, " ")
            for (i = 2; i <= n; i++)
                for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        function ms(us) { return sprintf("%.2f", us / 1000) }
        {
            key = $2 SUBSEP $3
            if (!(key in seen)) { seen[key] = 1; order[++keys] = key }
            if ($4 == "-" || $13 == "VOID") { note[key] = note[key] ($13 == "VOID" ? "VOID " : $13 " "); next }
            cpu[key] = cpu[key] " " $11
            rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5
            p90[key] = p90[key] " " $6; p99[key] = p99[key] " " $7
            if (!(key in mx) || $8 + 0 > mx[key]) mx[key] = $8 + 0
            non2xx[key] += $9; sock[key] += $10; n[key]++
            if (!(key in lo) || $4 + 0 < lo[key]) lo[key] = $4 + 0
            if (!(key in hi) || $4 + 0 > hi[key]) hi[key] = $4 + 0
        }
        END {
            ceiling = (("hello" SUBSEP "hello") in n) ? median(rps["hello" SUBSEP "hello"]) : 0
            fmt = "%-9s %-7s %7s %15s %7s %7s %7s %7s %8s %8s %10s %8s  %s\n"
            printf fmt, "target", "scenario", "req/s", "range", "p50 ms", "p90 ms", "p99 ms",
                "max ms", "non-2xx", "sockerr", "CPU us/req", "ceiling", "note"
            for (k = 1; k <= keys; k++) {
                key = order[k]; split(key, parts, SUBSEP)
                if (!(key in n)) { printf fmt, parts[1], parts[2], "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", note[key]; continue }
                m = median(rps[key]); med[key] = m; medp99[key] = median(p99[key]); medcpu[key] = median(cpu[key])
                printf fmt, parts[1], parts[2], sprintf("%.0f", m),
                    (n[key] > 1 ? lo[key] "-" hi[key] : "-"), ms(median(p50[key])), ms(median(p90[key])),
                    ms(medp99[key]), ms(mx[key]), non2xx[key], sock[key], sprintf("%.1f", medcpu[key]),
                    (ceiling > 0 ? sprintf("%.1f%%", 100 * m / ceiling) : "-"), note[key]
            }
            if (other == "") exit
            # The change is the current tree against the baseline, or the variant against
            # the current tree: `b` is the reference, `c` the one measured against it.
            bl = (other == "baseline") ? "baseline" : "current"
            cl = (other == "baseline") ? "current" : "variant"
            printf "\n%s vs %s: %s (medians)\n", cl, bl, otherdesc
            fmt = "%-8s %12s %12s %8s %13s %13s %14s %14s %9s\n"
            printf fmt, "scenario", bl " r/s", cl " r/s", "change", bl " p99", cl " p99",
                bl " CPU us/req", cl " CPU us/req", "CPU"
            split("create meta reveal outage", scenarios, " ")
            for (i = 1; i <= 4; i++) {
                c = cl SUBSEP scenarios[i]; b = bl SUBSEP scenarios[i]
                if (!(c in med) || !(b in med)) continue
                printf fmt, scenarios[i], sprintf("%.0f", med[b]), sprintf("%.0f", med[c]),
                    sprintf("%.1f%%", 100 * (med[c] - med[b]) / med[b]), ms(medp99[b]) " ms", ms(medp99[c]) " ms",
                    sprintf("%.1f", medcpu[b]), sprintf("%.1f", medcpu[c]),
                    sprintf("%+.1f%%", 100 * (medcpu[c] - medcpu[b]) / medcpu[b])
            }
        }' "$SUMMARY"
}

main() {
    ensure_wrk
    print_environment
    build_current
    if [[ -n $BASELINE_REV ]]; then build_baseline "$BASELINE_REV"; fi

    for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
        if has_scenario hello; then bench_hello; fi
        if [[ -z $REVEAL_SECRETS ]]; then
            local ceiling
            ceiling=$(awk -F'\t' '$2 == "hello" {print $4}' "$SUMMARY" | head -n1)
            REVEAL_SECRETS=$(awk -v c="${ceiling:-80000}" -v d="$DURATION" -v v="$REVEAL_VIEWS" \
                'BEGIN {n = int(c * 1.5 * d / v) + 1; print (n < 2000 ? 2000 : n)}')
        fi
        # Before/after alternate which goes first (ABBA), so a drift in the machine's
        # load over the run does not always favour the same side.
        local other_bin=$BIN/vanish
        if [[ $OTHER == baseline ]]; then other_bin=$BIN/vanish-baseline; fi
        if [[ -z $OTHER ]]; then
            bench_vanish "$BIN/vanish" current
        elif ((ROUND % 2)); then
            bench_vanish "$BIN/vanish" current
            bench_vanish "$other_bin" "$OTHER"
        else
            bench_vanish "$other_bin" "$OTHER"
            bench_vanish "$BIN/vanish" current
        fi
    done
    echo "load at end: $(load_avg)" | tee -a "$RESULTS_DIR/environment.txt" >&2

    print_summary | tee "$RESULTS_DIR/summary.txt"
    echo
    echo "Memory and disk ($RESULTS_DIR/memory.txt)" | tee -a "$RESULTS_DIR/summary.txt"
    tee -a "$RESULTS_DIR/summary.txt" <"$RESULTS_DIR/memory.txt"
    return "$FAILED"
}

main
