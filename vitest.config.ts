import { defineConfig } from 'vitest/config';

/**
 * Three projects, run one after the other (groupOrder) and each one file at a time: `unit` needs nothing but
 * Node (`npm run test:unit`), `workflows` only the time-skipping test server (`npm run test:workflows`), and
 * `docker` the real Docker engine, PostgreSQL, the sandbox stack and the dev server (`npm test` runs all three).
 * Integration and e2e files share one Docker engine and one sandbox stack, so they never overlap.
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
        },
      },
      {
        extends: true,
        test: {
          name: 'docker',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
