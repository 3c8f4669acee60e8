import { defineConfig } from 'vitest/config';

/**
 * Four projects, each one file at a time. `unit` needs nothing but Node (`npm run test:unit`), `workflows` only
 * the time-skipping test server (`npm run test:workflows`), `activities` the Docker engine and throwaway
 * PostgreSQL containers of its own (`opareta-acttest-*`, random ports), and `sandbox` the sandbox stack and the
 * dev server (integration files that use them, and the end-to-end files), whose files share one stack and so
 * never overlap. `npm test` runs all four, the first three in the background beside `sandbox`
 * (scripts/test.sh); `npx vitest run` alone runs them one project after the other (groupOrder).
 */
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          // Every run proves the unit tests need no Docker engine: any Docker call would fail.
          env: { DOCKER_HOST: 'unix:///nonexistent/unit-tests-have-no-docker.sock' },
        },
      },
      {
        extends: true,
        test: {
          name: 'workflows',
          include: ['test/workflows/**/*.test.ts', 'test/replay/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          globalSetup: ['test/workflows/support/bundle-once.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'activities',
          include: ['test/integration/activities/**/*.test.ts'],
          sequence: { groupOrder: 3 },
        },
      },
      {
        extends: true,
        test: {
          name: 'sandbox',
          include: ['test/integration/*.test.ts', 'test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 4 },
          // Never against production: the project stops before any file runs unless the config is a sandbox.
          globalSetup: ['test/support/refuse-production.ts'],
        },
      },
    ],
  },
});
