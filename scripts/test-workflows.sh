#!/usr/bin/env bash
# `npm run test:workflows`: workflow decisions with stub activities and the replay of recorded histories, on
# Temporal's time-skipping test server (installed by setup, like `npm test` does). No Docker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OPARETA_SETUP_FUNCTIONS_ONLY=1 source scripts/setup.sh
setup_node_modules
setup_temporal
exec node_modules/.bin/vitest run --project workflows "$@"
