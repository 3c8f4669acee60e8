#!/usr/bin/env bash
# `npm run test:unit`: the tests that need nothing but Node (no Docker, no Temporal server): seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OPARETA_SETUP_FUNCTIONS_ONLY=1 source scripts/setup.sh
setup_node_modules
exec node_modules/.bin/vitest run --project unit "$@"
