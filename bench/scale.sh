#!/usr/bin/env bash
# vanish at scale: the same scenarios on an empty store and on one holding about a million
# secrets, half of which expire (and are swept) while the scenarios run; at 32 connections
# and at one. Both stores run the current release build in the same run, so the difference
# is the store's size alone. See bench/README.md, "Scale".
#
#   bash bench/scale.sh                      # SQLite, ~2 x 60 s of prefill per target
#   PREFILL_SECONDS=10 bash bench/scale.sh   # a quick look (~150k secrets)
#   REDIS_URL=redis://127.0.0.1:PORT bash bench/scale.sh   # a private Redis (never 6379)
#
# Every run.sh knob works too. Only 127.0.0.1 is used.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PREFILL_SECONDS=${PREFILL_SECONDS:-60}
export SCENARIOS=${SCENARIOS:-hello create meta reveal}
STAMP=$(date +%Y%m%d-%H%M%S)

echo "== scale: 32 connections" >&2
RESULTS_DIR=$ROOT/bench/results/scale-$STAMP-c32 bash "$ROOT/bench/run.sh"
echo "== scale: one connection" >&2
RESULTS_DIR=$ROOT/bench/results/scale-$STAMP-c1 SKIP_BUILD=1 THREADS=1 CONNECTIONS=1 \
    bash "$ROOT/bench/run.sh"
