import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'dist/**', 'bin/**', 'sandbox/app/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // One Docker module: dockerode is wrapped in shared/node/docker only; elsewhere its types at most.
    // (The workflow block below replaces this rule for workflow files, and refuses dockerode there too.)
    files: ['**/*.ts'],
    ignores: ['shared/node/docker/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'dockerode',
              message: 'use shared/node/docker (the one Docker module); `import type` is fine',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is replayed: it must be deterministic and must not touch Node built-ins or the world.
    files: ['workflows/**/*.ts', 'worker/metrics/workflow-metrics.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'workflows must not import Node built-ins' },
            {
              group: ['fs', 'path', 'child_process', 'crypto', 'os', 'http', 'https', 'net', 'pg', 'dockerode'],
              message: 'workflows must not import side-effecting modules',
            },
            {
              // Any depth: `../activities`, `../../activities/restore`, ...
              regex: '(^|/)activities(/|$)',
              message: 'workflows import activity types only: use `import type`',
              allowTypeImports: true,
            },
            {
              regex: '(^|/)shared/node(/|$)',
              message: 'shared/node is Node-only (files, environment): workflows import its types only (`import type`)',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use sleep() in a loop' },
        { name: 'process', message: 'workflows must not read the process environment' },
      ],
    },
  },
  {
    // The client runs anywhere that reaches Temporal; activities run where the backups and containers are.
    // What the CLI shows comes through Temporal (a workflow on the worker's task queue), never from this disk.
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)activities(/|$)',
              message: 'the client never imports activities: ask the worker through a workflow (workflows/index.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
