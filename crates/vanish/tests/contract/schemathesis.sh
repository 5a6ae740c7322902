#!/usr/bin/env bash
# The contract test's driver (crates/vanish/tests/contract.rs runs it against a live
# `vanish serve`): validates the document the server serves as OpenAPI 3.1, then runs
# schemathesis against the server with every check, in all four phases (explicit
# examples, coverage of boundaries, random fuzzing, and stateful sequences that follow
# the document's links from a create into reveal, metadata, status and burn).
#
#   schemathesis.sh VENV_DIR BASE_URL [more schemathesis options]
#
# The tools come from PyPI, pinned (requirements.txt beside this file), into VENV_DIR,
# made on first use and made again whenever requirements.txt changes.
#
# Environment: CONTRACT_MAX_EXAMPLES (default 60) test cases per operation and phase;
# CONTRACT_SEED to replay a run (each run prints its seed); VANISH_METRICS_TOKEN, the
# server's METRICS_TOKEN (schemathesis.toml hands it to schemathesis).
#
# Exit status: 0 all checks passed; 1 a check failed; 3 no Python 3 with venv, or the
# tools could not be installed (the caller reports a skip, or fails under
# VANISH_REQUIRE_ALL=1).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
venv="$1"
base="$2"
shift 2

prepare_venv() {
  local want stamp
  want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
  stamp="$venv/.requirements-sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || { echo "contract: python3 not found"; return 3; }
  echo "contract: making $venv (pinned schemathesis, openapi-spec-validator)"
  rm -rf "$venv"
  python3 -m venv "$venv" || { echo "contract: python3 -m venv failed (python3-venv missing?)"; return 3; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
    -r "$here/requirements.txt" || { echo "contract: installing from PyPI failed"; return 3; }
  echo "$want" >"$stamp"
}

prepare_venv || exit $?

"$venv/bin/python" "$here/validate.py" "$base/api/openapi.json"

seed=()
if [ -n "${CONTRACT_SEED:-}" ]; then
  seed=(--seed "$CONTRACT_SEED")
fi

# Every check but one, which does not apply: after a create it expects the new resource to
# answer until something DELETEs it, but a vanish secret is gone once read (the original
# API's `GET /api/secrets/{id}` consumes it, as `POST …/reveal` does) or burned (`POST
# …/burn`), and every recipient route then answers 404 by design (docs/api.md, "Consume").
#
# One worker: with two, hypothesis sometimes parses Python sources in two threads at once,
# which CPython 3.11's `ast` module does not survive ("AST constructor recursion depth
# mismatch", CPython issue 106905), and Python threads would not use a second core anyway.
exec "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" --no-color \
  run "$base/api/openapi.json" \
  --checks all \
  --exclude-checks ensure_resource_availability \
  --max-examples "${CONTRACT_MAX_EXAMPLES:-60}" \
  --workers 1 \
  --request-timeout 20 \
  --generation-database none \
  "${seed[@]}" \
  "$@"
