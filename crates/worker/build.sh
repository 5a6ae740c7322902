#!/usr/bin/env bash
# Builds the Worker into build/ (index.js + index_bg.wasm) with worker-build, using only
# tools installed from the registries: wasm-bindgen-cli from crates.io (~/.cargo/bin) and
# wasm-opt and esbuild from npm (node_modules, `npm ci`). Left to itself, worker-build
# would download the last two from GitHub. wrangler runs this as its build command.
set -euo pipefail
cd "$(dirname "$0")"

export PATH="$HOME/.cargo/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || true)}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"
for tool in "$WASM_BINDGEN_BIN" "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  if [ ! -x "$tool" ]; then
    echo "build.sh: missing ${tool:-wasm-bindgen} (cargo install wasm-bindgen-cli@0.2.130; npm ci)" >&2
    exit 1
  fi
done
# wrangler runs this on every start: skip the build when nothing it reads changed.
if [ -f build/index.js ] && [ -z "$(find src ../core/src ../core/Cargo.toml ../../Cargo.toml Cargo.toml Cargo.lock build.sh \
    -newer build/index_bg.wasm -print -quit 2>/dev/null)" ]; then
  echo "build.sh: build/ is up to date"
  exit 0
fi
exec worker-build --release
