#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: `npx opareta-dr <command>` from the project folder.
require('tsx/cjs');
require('../client/main.ts').buildProgram().parseAsync(process.argv);
