import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { craft, readDump, tricks, writeDump, type CraftedDump } from '../integration/activities/hostile-dumps/corpus';
import { useWorkerProcess } from '../support/e2e-worker';
import { backups, databasesOf, liveRowCounts, sandboxService, sortCounts } from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { restoreDatabase, restoreDrill } from '../../workflows';

/**
 * Issue 8 on the sandbox: crafted dumps (the newest real argus backup with one trick each, see
 * test/integration/activities/hostile-dumps/corpus.ts) planted in the backup directory under conforming argus
 * names. A named restore fails for good and a drill fails, both naming file, line and command; a crafted file
 * planted as the newest backup makes a dry run fall back to the previous generation and say why.
 */

const SUBSET = ['01', '04', '10', '17', '18', '24'];
const config = sandboxService('argus');
const CORPUS = tricks({
  serviceUser: config.user,
  otherDatabase: 'postgres',
  canaryRole: config.user,
  table: 'public.users',
});
const planted: string[] = [];
const crafted: (CraftedDump & { file: string })[] = [];
let realLatest: string;

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

async function plant(file: string, dump: CraftedDump): Promise<CraftedDump & { file: string }> {
  planted.push(file);
  await writeDump(path.join(config.backupDirectory, file), dump.text);
  return { ...dump, file };
}

function pwnedFiles(): string[] {
  return execFileSync('docker', ['exec', config.databaseContainer, 'ls', '-A', '/tmp'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.startsWith('pwned'));
}

beforeAll(async () => {
  realLatest = (await backups('argus'))[0].file;
  const dump = await readDump(path.join(config.backupDirectory, realLatest));
  for (const [i, id] of SUBSET.entries()) {
    const trick = CORPUS.find((t) => t.id === id)!;
    crafted.push(await plant(`argus_20200101_00000${i + 1}.sql.gz`, craft(dump, trick)));
  }
});

afterAll(async () => {
  await Promise.all(planted.map((file) => rm(path.join(config.backupDirectory, file), { force: true })));
});

/** Every message along a failure's cause chain, and the ApplicationFailure at its root. */
function failureChain(err: unknown): { messages: string; root?: ApplicationFailure } {
  const messages: string[] = [];
  let root: ApplicationFailure | undefined;
  for (let e = err as (Error & { cause?: unknown }) | undefined; e; e = e.cause as typeof e) {
    messages.push(e.message);
    if (e instanceof ApplicationFailure) root = e;
  }
  return { messages: messages.join(' <- '), root };
}

function expectNamed(text: string, dump: CraftedDump & { file: string }): void {
  expect(text).toContain(`backup ${dump.file} line ${dump.line}: `);
  expect(text.toLowerCase()).toContain(dump.trick.command.toLowerCase());
}

describe('hostile dumps on the sandbox', () => {
  const { taskQueue } = useWorkerProcess('hostile');
  const client = useTemporalClient();
  const run = async <W extends typeof restoreDatabase | typeof restoreDrill>(
    workflow: W,
    prefix: string,
    input: Parameters<W>[0],
  ) =>
    (await client()).workflow.execute(workflow, {
      taskQueue,
      workflowId: testWorkflowId(prefix),
      args: [input] as Parameters<W>,
    });

  it('a named restoreDatabase of each crafted file fails for good, naming file, line and command', async () => {
    const liveBefore = sortCounts(await liveRowCounts('argus'));
    const databasesBefore = await databasesOf('argus');
    for (const dump of crafted) {
      const err = await run(restoreDatabase, 'e2e-hostile-restore', { service: 'argus', backup: dump.file }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, dump.file).toBeInstanceOf(WorkflowFailedError);
      const { messages, root } = failureChain(err);
      expect(root?.type, messages).toBe('BackupUnsafe');
      expect(root?.nonRetryable, messages).toBe(true);
      expectNamed(messages, dump);
    }
    expect(pwnedFiles()).toEqual([]);
    expect(sortCounts(await liveRowCounts('argus'))).toEqual(liveBefore);
    expect(await databasesOf('argus')).toEqual(databasesBefore);
  }, 300_000);

  it('a restoreDrill of each crafted file fails, naming it', async () => {
    for (const dump of crafted) {
      const result = await run(restoreDrill, 'e2e-hostile-drill', {
        services: ['argus'],
        backup: dump.file,
      });
      expect(result.passed).toBe(false);
      const argus = result.services.find((s) => s.service === 'argus')!;
      expect(argus.passed).toBe(false);
      expectNamed(argus.reason ?? '', dump);
      expect(argus.brokenBackups.map((b) => [b.file, b.errorType])).toEqual([[dump.file, 'BackupUnsafe']]);
      expect(argus.cleanedUp).toBe(true);
    }
    expect(pwnedFiles()).toEqual([]);
  }, 300_000);

  it('a crafted file planted as the newest argus backup: a dry run falls back to the previous generation and says why', async () => {
    const newer = new Date(Date.parse((await backups('argus'))[0].takenAt) + 60_000);
    const dump = await plant(
      `argus_${stamp(newer)}.sql.gz`,
      craft(await readDump(path.join(config.backupDirectory, realLatest)), CORPUS[0]),
    );
    expect((await backups('argus'))[0].file).toBe(dump.file);

    const result = await run(restoreDatabase, 'e2e-hostile-dry', {
      service: 'argus',
      dryRun: true,
    });
    expect(result.outcome).toBe('dry-run');
    expect(result.fallbackFrom).toBe(dump.file);
    expect(result.backup?.file).toBe(realLatest);
    expect(result.brokenBackups.map((b) => [b.file, b.errorType])).toEqual([[dump.file, 'BackupUnsafe']]);
    expectNamed(result.brokenBackups[0].message, dump);
    expect(pwnedFiles()).toEqual([]);
  }, 300_000);
});
