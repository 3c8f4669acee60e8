#!/usr/bin/env node
// `opareta-dr`: the compiled CLI in dist/ (made by `npm run build`, which `npm start` runs) when it is at least
// as new as the sources; otherwise, in a development checkout, the TypeScript sources through tsx, so an edit
// is never run stale. A production install (no tsx) runs dist/ whatever its age.
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'client', 'main.js');
const builtStamp = path.join(root, 'dist', '.built');
const SOURCE_FOLDERS = ['shared', 'activities', 'workflows', 'worker', 'client', 'sandbox'];

function newestSourceTime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function buildIsCurrent() {
  if (!existsSync(compiled) || !existsSync(builtStamp)) return false;
  const builtAt = statSync(builtStamp).mtimeMs;
  return SOURCE_FOLDERS.every((folder) => newestSourceTime(path.join(root, folder)) <= builtAt);
}

function hasTsx() {
  try {
    require.resolve('tsx/cjs');
    return true;
  } catch {
    return false;
  }
}

let main;
if (buildIsCurrent() || (!hasTsx() && existsSync(compiled))) {
  main = require(compiled);
} else if (hasTsx()) {
  require('tsx/cjs');
  main = require('../client/main.ts');
} else {
  process.stderr.write('opareta-dr: not built and no tsx to run the sources: run `npm run build` first\n');
  process.exit(3);
}
main.buildProgram().parseAsync(process.argv);
