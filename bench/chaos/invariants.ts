import type { ServiceConfig } from '../../shared/node/topology';
import { waitForHealthUrl } from '../../sandbox';
import { databasesOf, restoreRoles } from './db';
import { fingerprintDatabase, missingRows, sameFingerprint, type Fingerprint } from './fingerprint';

/** One service after a run, as its server shows it. */
export interface ServiceState {
  service: string;
  /** undefined: the live database is gone or does not answer. */
  live?: Fingerprint;
  matches: 'before' | 'backup' | 'neither';
  /** Rows of the state the outcome promised (backup when restored, else before) that live lacks. */
  lostRows: number;
  healthy: boolean;
  unhealthy: string[];
  /** Side or scratch databases nobody keeps on purpose. */
  leftovers: string[];
  /** `_pre_restore_` and `_failed_restore_` copies, kept by design. */
  kept: string[];
  /** Confinement roles created during the run and still there. */
  newRoles: string[];
}

const KEPT = ['_pre_restore_', '_failed_restore_'];
/** An app that was just restarted (by the workflow's compensation) gets this long to answer. */
const HEALTH_GRACE_MS = 30_000;

export function classifyDatabases(config: ServiceConfig, names: string[]): { leftovers: string[]; kept: string[] } {
  const others = names.filter((name) => name !== config.database);
  const kept = others.filter((name) => KEPT.some((k) => name.startsWith(`${config.database}${k}`)));
  return { kept, leftovers: others.filter((name) => !kept.includes(name)) };
}

export async function serviceState(
  service: string,
  config: ServiceConfig,
  candidates: { before: Fingerprint; backup: Fingerprint },
  restored: boolean,
  rolesBefore: string[],
): Promise<ServiceState> {
  const live = await fingerprintDatabase(config, config.database).catch(() => undefined);
  const matches =
    live && sameFingerprint(live, candidates.before)
      ? 'before'
      : live && sameFingerprint(live, candidates.backup)
        ? 'backup'
        : 'neither';
  const promised = restored ? candidates.backup : candidates.before;
  const lostRows = matches === 'neither' ? missingRows(promised, live) : 0;
  const unhealthy: string[] = [];
  await Promise.all(
    config.healthUrls.map((url) => waitForHealthUrl(url, HEALTH_GRACE_MS).catch(() => unhealthy.push(url))),
  );
  const names = await databasesOf(config).catch(() => [] as string[]);
  const roles = await restoreRoles(config).catch(() => [] as string[]);
  return {
    service,
    live,
    matches,
    lostRows,
    healthy: unhealthy.length === 0,
    unhealthy,
    ...classifyDatabases(config, names),
    newRoles: roles.filter((role) => !rolesBefore.includes(role)),
  };
}
