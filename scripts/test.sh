#!/usr/bin/env bash
# `npm test`: the same set-up as `npm start` (dev server, sandbox stack), then types, lint, format, tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh
source scripts/temporal-dev.sh
source scripts/sandbox-config.sh
setup_chromium

trap stop_temporal_dev EXIT
start_temporal_dev
export TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-localhost:7233}"

if uses_sandbox_config; then
  node bin/opareta-dr.js sandbox up
fi

failed=()
run_step() {
  echo "test: $*"
  "$@" && return 0
  failed+=("$*")
  return 1
}
run_step npx tsc --noEmit || true
# The build the worker image and npm start run; test/integration/build.test.ts starts the worker from it.
if run_step bash scripts/build.sh; then export OPARETA_TEST_WORKER=dist; fi
run_step npx eslint . || true
run_step npx prettier --check . || true
run_step npx vitest run || true

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'test: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo 'test: all steps passed'
