#!/usr/bin/env bash
# `npm run build`: compiles the product to plain JavaScript in dist/ (tsc, incremental) and bundles the
# workflow code once (dist/workflow-bundle.js), so the worker starts without tsx or webpack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Nothing changed since the last build (the stamp is newer than every input): a second `npm start` costs nothing.
inputs=(shared activities workflows worker client sandbox tsconfig.json tsconfig.build.json package-lock.json)
if [ -f dist/.built ] && [ -z "$(find "${inputs[@]}" -newer dist/.built -print -quit)" ]; then
  echo 'build: dist/ is up to date'
  exit 0
fi

node_modules/.bin/tsc -p tsconfig.build.json
node dist/worker/bundle-workflows.js
# bin/opareta-dr.js runs dist/ only when this stamp is newer than every source file.
touch dist/.built
