#!/usr/bin/env bash
# `npm run build`: compiles the product to plain JavaScript in dist/ (tsc, incremental) and bundles the
# workflow code once (dist/workflow-bundle.js), so the worker starts without tsx or webpack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node_modules/.bin/tsc -p tsconfig.build.json
node dist/worker/bundle-workflows.js
# bin/opareta-dr.js runs dist/ only when this stamp is newer than every source file.
touch dist/.built
