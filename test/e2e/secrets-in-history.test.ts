import { WorkflowFailedError } from '@temporalio/client';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDump, writeDump } from '../integration/activities/hostile-dumps/corpus';
import { useWorkerProcess } from '../support/e2e-worker';
import { backups, databasesOf, sandboxService } from '../support/sandbox-db';
import { testWorkflowId, useTemporalClient } from '../support/temporal-client';
import { RESTORE_BACKUP_ACTIVITY } from '../../shared/activity-contract';
import { restoreDatabase } from '../../workflows';

/**
 * Issue 9, points 3 and 4 on the sandbox: the newest real argus backup with one table added after its prologue, whose
 * rows fail the restore the way production rows would: (a) a duplicate key, whose DETAIL quotes a secret token;
 * (b) an invalid value, which the ERROR line itself echoes. Each named restore fails once (non-retryable); its
 * whole history, payloads decoded, holds the ERROR line (redacted) and the dump line, and never the secret.
 */

const config = sandboxService('argus');
const SECRETS = { duplicate: 'sk_live_9fQ2xW7pLmZ4tR8vK1nB3cYd', echoed: 'sk_live_H5jT0gVb6NqE2sUa7MwX4rCo' };

interface Case {
  name: string;
  secret: string;
  lines: string[];
  /** Index in `lines` of the line psql reports. */
  reported: number;
  error: string;
}

const CASES: Case[] = [
  {
    name: 'duplicate key',
    secret: SECRETS.duplicate,
    lines: [
      'CREATE TABLE public.api_keys (id integer NOT NULL, token text NOT NULL, CONSTRAINT api_keys_token_key UNIQUE (token));',
      'COPY public.api_keys (id, token) FROM stdin;',
      `1\t${SECRETS.duplicate}`,
      `2\t${SECRETS.duplicate}`,
      '\\.',
    ],
    reported: 4,
    error: 'ERROR: duplicate key value violates unique constraint "api_keys_token_key" (SQLSTATE 23505)',
  },
  {
    name: 'value echoed in the ERROR line',
    secret: SECRETS.echoed,
    lines: [
      'CREATE TABLE public.webhooks (id integer NOT NULL, signing_key uuid);',
      `INSERT INTO public.webhooks VALUES (1, '${SECRETS.echoed}');`,
    ],
    reported: 1,
    error: 'ERROR: invalid input syntax for type uuid: "…" (SQLSTATE 22P02)',
  },
];

const planted: { file: string; line: number; testCase: Case }[] = [];

/**
 * Right after pg_dump's prologue (`SET row_security = off;`), before its first statement: a table the backup seems
 * to have had, reached before anything of the real dump can fail for reasons of its own.
 */
function plantAfterPrologue(dump: string, lines: string[]): { text: string; line: number } {
  const all = dump.split('\n');
  const at = all.indexOf('SET row_security = off;') + 1;
  expect(at).toBeGreaterThan(0);
  const text = [...all.slice(0, at), '', ...lines, '', ...all.slice(at)].join('\n');
  return { text, line: at + 2 };
}

beforeAll(async () => {
  const dump = await readDump(path.join(config.backupDirectory, (await backups('argus'))[0].file));
  for (const [i, testCase] of CASES.entries()) {
    const file = `argus_20200102_00000${i + 1}.sql.gz`;
    const { text, line } = plantAfterPrologue(dump, testCase.lines);
    await writeDump(path.join(config.backupDirectory, file), text);
    planted.push({ file, line: line + testCase.reported, testCase });
  }
});

afterAll(async () => {
  await Promise.all(planted.map((p) => rm(path.join(config.backupDirectory, p.file), { force: true })));
});

/** Every string of a history, with every payload's bytes decoded: what an export of it could show anyone. */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, v]) => `${key}: ${historyText(v)}`)
      .join('\n');
  }
  return String(value);
}

describe('no secret in the history of a failing restore', () => {
  const { taskQueue } = useWorkerProcess('secrets');
  const client = useTemporalClient();

  it.each(CASES.map((c, i) => [c.name, i] as const))(
    '%s',
    async (_name, index) => {
      const { file, line, testCase } = planted[index];
      const databasesBefore = await databasesOf('argus');
      const workflowId = testWorkflowId('e2e-secrets');
      const err = await (
        await client()
      ).workflow
        .execute(restoreDatabase, { taskQueue, workflowId, args: [{ service: 'argus', backup: file }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(WorkflowFailedError);

      const history = await (await client()).workflow.getHandle(workflowId).fetchHistory();
      const exported = JSON.stringify(history);
      const text = `${exported}\n${historyText(history)}`;
      expect(text).not.toContain(testCase.secret);
      expect(exported).not.toContain(Buffer.from(testCase.secret).toString('base64').slice(0, 24));
      expect(text).toContain(`line ${line} (`);
      expect(text).toContain(testCase.error);

      const events = history.events ?? [];
      const restores = events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === RESTORE_BACKUP_ACTIVITY,
      );
      expect(restores).toHaveLength(1);
      const scheduledId = restores[0].eventId;
      const started = events.find(
        (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '') === String(scheduledId),
      );
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(1);
      const failed = events.find(
        (e) => String(e.activityTaskFailedEventAttributes?.scheduledEventId ?? '') === String(scheduledId),
      );
      const info = failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo;
      expect(info?.type).toBe('RestoreSqlError');
      expect(info?.nonRetryable).toBe(true);
      expect(await databasesOf('argus')).toEqual(databasesBefore);
    },
    300_000,
  );
});
