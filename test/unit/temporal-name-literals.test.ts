import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as activityContract from '../../shared/activity-contract';
import { projectRoot } from '../../shared/node/settings';
import * as workflows from '../../workflows';
import * as definitions from '../../workflows/definitions';

/**
 * Clients address workflows, signals, queries, updates and the activity they watch by the definitions
 * (`handle.query(progressQuery)`, `client.workflow.start(restoreDatabase, ...)`), never by a string typed
 * by hand: a renamed handler then breaks the build instead of the CLI. This scans the client, the benches
 * and the tests for any of those names written as a string literal.
 */
const SCANNED_FOLDERS = ['client', 'bench', 'test'];

/**
 * Lines where a name is not a Temporal name, each with why. Kept small: a new entry needs a reason that
 * is not "the literal was easier". (\x27 is a single quote, so this list does not match itself.)
 */
const ALLOWED: { file: string; line: RegExp; why: string }[] = [
  {
    file: 'test/e2e/approval-identity.test.ts',
    line: /runCli\(\[\x27approve\x27, /,
    why: 'the CLI subcommand `opareta-dr approve` (it sends approveUpdate), typed as an SRE types it',
  },
];

interface HandlerDefinition {
  type: string;
  name: string;
}

function isHandlerDefinition(value: unknown): value is HandlerDefinition {
  const type = (value as Partial<HandlerDefinition> | null)?.type;
  return type === 'query' || type === 'signal' || type === 'update';
}

/** Every name, taken from the modules that define them: a new workflow or handler is covered at once. */
function temporalNames(): string[] {
  const handlers = (Object.values(definitions) as unknown[]).filter(isHandlerDefinition).map((d) => d.name);
  const workflowTypes = Object.values(workflows).map((workflow) => workflow.name);
  // The contract's exported string constants: the progress signal and the activity type clients watch.
  const contractNames = Object.values(activityContract).filter((value) => typeof value === 'string');
  return [...new Set([...handlers, ...workflowTypes, ...contractNames])];
}

function literalPattern(names: string[]): RegExp {
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(['"\`])(${escaped.join('|')})\\1`, 'g');
}

/** "file:line: 'name'" for each name written as a literal in `text`, minus the allowed lines. */
function literalsIn(file: string, text: string, pattern: RegExp): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(pattern)) {
      const allowed = ALLOWED.some((a) => a.file === file && a.line.test(line));
      if (!allowed) found.push(`${file}:${index + 1}: ${match[0]}`);
    }
  });
  return found;
}

function typeScriptFiles(folder: string): string[] {
  return readdirSync(path.join(projectRoot, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.m?ts$/.test(entry.name))
    .map((entry) => path.relative(projectRoot, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('Temporal names in client, bench and test code', () => {
  const names = temporalNames();
  const pattern = literalPattern(names);

  it('collects the names from the definitions, the workflow index and the activity contract', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        definitions.progressQuery.name,
        definitions.approveUpdate.name,
        definitions.approveSignal.name,
        definitions.restoreProgressSignal.name,
        workflows.restoreDatabase.name,
        workflows.listBackupCatalogs.name,
        activityContract.RESTORE_BACKUP_ACTIVITY,
      ]),
    );
    expect(names.every((name) => /^\w+$/.test(name))).toBe(true);
  });

  it('finds a hand-typed name in any quotes, and only a whole one', () => {
    const query = definitions.progressQuery.name;
    const snippet = [
      `await handle.query('${query}');`,
      `client.workflow.start("${workflows.restoreDrill.name}", options);`,
      `waitFor(handle, \`${activityContract.RESTORE_BACKUP_ACTIVITY}\`);`,
      `const flag = '--${query}'; const step = '${query}ing';`,
    ].join('\n');
    expect(literalsIn('client/probe.ts', snippet, pattern)).toEqual([
      `client/probe.ts:1: '${query}'`,
      `client/probe.ts:2: "${workflows.restoreDrill.name}"`,
      `client/probe.ts:3: \`${activityContract.RESTORE_BACKUP_ACTIVITY}\``,
    ]);
  });

  it('finds none in client/, bench/ or test/', () => {
    const files = SCANNED_FOLDERS.flatMap(typeScriptFiles);
    expect(files).toContain('client/live-progress.ts');
    const found = files.flatMap((file) =>
      literalsIn(file, readFileSync(path.join(projectRoot, file), 'utf8'), pattern),
    );
    expect(found, 'use the definitions (workflows/definitions.ts, workflows/index.ts, the contract)').toEqual([]);
  });
});
