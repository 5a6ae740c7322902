#!/usr/bin/env bash
# The storage guarantees at campaign scale (docs/security.md, "Guarantees at scale"): far
# more rounds than the test suite can afford, against release builds of `vanish serve`.
#
#   1. races on SQLite: one instance, RACES secrets each raced by 32–64 consumers;
#   2. races on Redis: the same over INSTANCES instances sharing one private redis-server;
#   3. kill -9 on SQLite: CYCLES cycles of mixed load killed at a random moment;
#   4. kill -9 on Redis: the same, killing the instance and redis-server (random order).
#
# Reports double reads, lost acknowledged creates and resurrected secrets for each (all
# must be 0) and exits 1 if any is not. Not part of CI: it takes tens of minutes.
#
#   bash bench/campaign.sh                 # everything, defaults below
#   RACES=200 CYCLES=10 bash bench/campaign.sh   # a quick look
#
# Variables: RACES (10000), INSTANCES (3), CYCLES (300), WORKERS (6, clients under load
# in the kill -9 cycles), TIME_LIMIT_S (3600, per experiment: it stops early and says
# so), SEED (from the clock), EXPERIMENTS (all four: `races-sqlite races-redis
# crashes-sqlite crashes-redis`), SKIP_BUILD (use target/release as it is), RESULTS_DIR
# (bench/results/campaign-<time>). Redis experiments need redis-server on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

RACES="${RACES:-10000}"
INSTANCES="${INSTANCES:-3}"
CYCLES="${CYCLES:-300}"
WORKERS="${WORKERS:-6}"
TIME_LIMIT_S="${TIME_LIMIT_S:-3600}"
EXPERIMENTS="${EXPERIMENTS:-races-sqlite races-redis crashes-sqlite crashes-redis}"
RESULTS_DIR="${RESULTS_DIR:-bench/results/campaign-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$RESULTS_DIR"

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "campaign: building release binaries"
  nice -n 5 cargo build --release -p vanish -p vanish-campaign
fi
# Copies, so a build running meanwhile cannot swap the binaries mid-campaign.
cp target/release/vanish target/release/vanish-campaign "$RESULTS_DIR/"

{
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "started: $(date -u +%FT%TZ)"
  echo "cores: $(nproc)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "redis-server: $(redis-server --version 2>/dev/null || echo missing)"
} >"$RESULTS_DIR/environment.txt"

failed=0
run() {
  local name="$1"
  shift
  echo "campaign: $name"
  local seed=()
  [ -n "${SEED:-}" ] && seed=(--seed "$SEED")
  if nice -n 5 "$RESULTS_DIR/vanish-campaign" --vanish "$RESULTS_DIR/vanish" \
      --time-limit-s "$TIME_LIMIT_S" "${seed[@]}" "$@" | tee "$RESULTS_DIR/$name.txt"; then
    :
  else
    failed=1
  fi
  echo "load average after $name: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS_DIR/environment.txt"
}

for experiment in $EXPERIMENTS; do
  case "$experiment" in
    races-sqlite) run "$experiment" races --store sqlite --races "$RACES" ;;
    races-redis) run "$experiment" races --store redis --instances "$INSTANCES" --races "$RACES" ;;
    crashes-sqlite) run "$experiment" crashes --store sqlite --cycles "$CYCLES" --workers "$WORKERS" ;;
    crashes-redis) run "$experiment" crashes --store redis --cycles "$CYCLES" --workers "$WORKERS" ;;
    *) echo "campaign: unknown experiment $experiment" >&2; exit 2 ;;
  esac
done

echo "finished: $(date -u +%FT%TZ)" >>"$RESULTS_DIR/environment.txt"
echo
echo "campaign: results in $RESULTS_DIR"
grep -H -E "^(races|consumers|double reads|lost views|receipt mismatches|kill -9 cycles|creates acknowledged|reveals acknowledged|lost acknowledged creates|resurrected secrets|seconds|result):" \
  "$RESULTS_DIR"/*.txt | sed "s#^$RESULTS_DIR/##"
exit "$failed"
