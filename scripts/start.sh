#!/usr/bin/env bash
# `npm start`: set-up, Temporal dev server, sandbox stack, then the worker in the foreground, supervised: a
# worker that exits on its own is started again (scripts/supervise-worker.sh) and the dev server stays up.
# Ctrl-C stops the worker, then the dev server if this run started it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh
source scripts/temporal-dev.sh
source scripts/sandbox-config.sh

# The worker and the CLI run as plain JavaScript with the workflow code bundled once (dist/); incremental, so
# a start after no change costs a few seconds.
echo 'start: building (npm run build)'
bash scripts/build.sh

trap stop_temporal_dev EXIT
start_temporal_dev

if uses_sandbox_config; then
  node dist/client/main.js sandbox up
else
  echo "start: ${OPARETA_CONFIG} describes real hosts; no sandbox started"
fi

# The nightly restore drill: created once, brought up to date on every start (idempotent).
node dist/client/main.js schedule create

ui_url="${TEMPORAL_UI_URL:-http://localhost:8233}"
cat <<INFO

  Temporal Web UI:  $ui_url
  Start a drill:    $TEMPORAL_CLI_PATH workflow start --type restoreDrill --task-queue opareta-dr --input '{}'
  Worker:           task queue opareta-dr${OPARETA_WORKER_HOST:+ and opareta-dr@$OPARETA_WORKER_HOST}${1:+ ($*)}, restarted if it exits (Ctrl-C stops it)

INFO

# Not exec: the EXIT trap must still stop the dev server after the worker has gone.
# `npm start -- --host db-a` runs the worker of host db-a (README: one worker per host).
bash scripts/supervise-worker.sh "$(command -v node)" dist/worker/main.js "$@"
