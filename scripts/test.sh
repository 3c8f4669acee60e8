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

# What needs no sandbox (types, lint, format, the unit and workflow projects, then the activity integration files on
# throwaway containers of their own) runs in the background beside the sandbox project, whose integration and
# end-to-end files run one at a time against the one sandbox stack and dev server. Its output follows at the end.
mkdir -p .data
background_log=.data/test-background.log
(
  status=0
  for step in 'npx tsc --noEmit' 'npx eslint .' 'npx prettier --check .' \
    'npx vitest run --project unit --project workflows' 'npx vitest run --project activities'; do
    echo "test: $step"
    # shellcheck disable=SC2086 # each step is a fixed command line, split into its words on purpose
    $step || { status=1; echo "test: FAILED: $step"; }
  done
  exit "$status"
) >"$background_log" 2>&1 &
background_pid=$!

# The build the worker image and npm start run; test/integration/build.test.ts starts the worker from it.
if run_step bash scripts/build.sh; then export OPARETA_TEST_WORKER=dist; fi
if uses_sandbox_config; then
  run_step npx vitest run --project sandbox || true
else
  # Its end-to-end files kill containers, restore and drop databases: never under a production config.
  echo "test: NOT RUN: the sandbox project (OPARETA_CONFIG=${OPARETA_CONFIG:-} is not a sandbox config, \"sandbox\": true)" >&2
  failed+=('the sandbox project, refused: OPARETA_CONFIG is not a sandbox config')
fi

echo 'test: lint, format, unit, workflow and activity tests (ran in the background):'
background_status=0
wait "$background_pid" || background_status=$?
cat "$background_log"
if [ "$background_status" -ne 0 ]; then
  while IFS= read -r step; do failed+=("$step"); done < <(grep '^test: FAILED: ' "$background_log" | sed 's/^test: FAILED: //')
fi

if [ "${#failed[@]}" -gt 0 ]; then
  printf 'test: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo 'test: all steps passed'
