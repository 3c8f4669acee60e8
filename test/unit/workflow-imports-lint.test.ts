import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../shared/node/settings';

/**
 * Lints `code` as if it were a file at `file` (relative to the project), with the project's own config. The file
 * does not exist, so the type-aware parts (which need it in the TypeScript project) are switched off; the import
 * rules under test do not use types.
 */
async function ruleMessages(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: projectRoot,
    overrideConfig: {
      files: ['**/*.ts'],
      languageOptions: { parserOptions: { projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off' },
    },
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(projectRoot, file) });
  expect(result.messages.filter((m) => m.fatal)).toEqual([]);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the lint rule that keeps workflows replayable', () => {
  it('refuses activities and Node-only shared code in workflow files at any depth', async () => {
    const cases: Array<[string, string]> = [
      ['workflows/probe.ts', "import { createActivities } from '../activities';"],
      ['workflows/restore/probe.ts', "import { restoreBackup } from '../../activities/restore';"],
      ['workflows/restore/deeper/probe.ts', "import * as a from '../../../activities';"],
      ['workflows/restore/probe.ts', "import { settings } from '../../shared/node/settings';"],
      ['workflows/probe.ts', "import { loadTopology } from '../shared/node/topology';"],
      ['workflows/probe.ts', "import { readFileSync } from 'node:fs';"],
    ];
    for (const [file, code] of cases) {
      const name = /\{ (\w+) \}|\* as (\w+)/.exec(code)!.slice(1).find(Boolean);
      const messages = await ruleMessages(file, `${code}\nexport const used = [${name}];\n`);
      expect(messages, `${file}: ${code}`).toHaveLength(1);
    }
  }, 60_000);

  it('allows type imports and the workflow-safe shared modules', async () => {
    const code = [
      "import type { DrActivities } from '../../shared/activity-contract';",
      "import type { ServiceConfig } from '../../shared/node/topology';",
      "import type { RestoreRequest } from '../../activities/restore';",
      "import { restoreDatabaseInputSchema } from '../../shared/workflow-types';",
      'export type T = [DrActivities, ServiceConfig, RestoreRequest];',
      'export const input = restoreDatabaseInputSchema;',
    ].join('\n');
    expect(await ruleMessages('workflows/restore/probe.ts', code)).toEqual([]);
  }, 60_000);
});

describe('the lint rule that keeps the client off the worker’s disk', () => {
  it('refuses activities in client files, and allows the workflow definitions', async () => {
    const catalog =
      "import { listBackupCatalog } from '../../activities/backup-catalog';\nexport const f = listBackupCatalog;\n";
    expect(await ruleMessages('client/commands/probe.ts', catalog)).toHaveLength(1);
    const definitions = "import { listBackupCatalogs } from '../../workflows';\nexport const f = listBackupCatalogs;\n";
    expect(await ruleMessages('client/commands/probe.ts', definitions)).toEqual([]);
  }, 60_000);
});
