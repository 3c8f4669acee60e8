import type { BackupInfo, ServiceDescription, StandbyDatabase, StandbyRecord } from '../../shared/activity-contract';
import type { RestoreMode } from '../../shared/workflow-types';
import { quick } from '../activity-proxies';

/** What the restore asked for: `useStandby` from its input, and whether it may change anything at all. */
export interface StandbyWish {
  useStandby: boolean;
  mode: RestoreMode;
}

export interface UsableStandby extends StandbyDatabase {
  record: StandbyRecord;
}

export type StandbyDecision = { standby: UsableStandby } | { standby?: undefined; reason: string };

/**
 * Whether the service's warm standby may stand in for a restore of `backup`, reads only. It may when each holds:
 * the standby is on for the service and wanted (input `useStandby`, not in-place mode, whose runbook order
 * restores with the apps down); a standby exists under the name its record gives; its record's backup IS the
 * chosen one (a standby of yesterday's backup is not used for today's "latest"); and the live database's schema
 * fingerprint now equals the one recorded when it was kept (a live schema that changed since, by a migration
 * say, is not silently rolled back to what the standby holds beyond what the backup says). Otherwise the reason,
 * in words, for the report: the restore then runs as it always did.
 */
export async function decideStandby(
  description: ServiceDescription,
  backup: BackupInfo,
  wish: StandbyWish,
): Promise<StandbyDecision> {
  const { service } = description;
  if (!description.standby?.enabled) return { reason: `the warm standby is off for ${service} (standby.enabled)` };
  if (wish.mode === 'in-place') return { reason: 'in-place mode never uses a standby' };
  if (!wish.useStandby) return { reason: 'the input said useStandby: false' };

  const standbys = await quick.listStandbys({ service });
  const recorded = standbys.filter((s): s is UsableStandby => s.record?.database === s.database);
  if (recorded.length === 0) {
    const unrecorded = standbys.length ? ` (${standbys.map((s) => s.database).join(', ')} without a valid record)` : '';
    return { reason: `no standby of ${service} exists${unrecorded}` };
  }
  const match = recorded.find((s) => s.record.backupFile === backup.file);
  if (!match) {
    const from = recorded.map((s) => `${s.database} holds ${s.record.backupFile}`).join(', ');
    return { reason: `no standby of the chosen backup ${backup.file}: ${from}` };
  }
  const fingerprint = await quick.schemaFingerprint({ service });
  if (fingerprint !== match.record.liveSchemaFingerprint) {
    return {
      reason:
        `the live schema of ${description.database} changed since ${match.database} was kept at ` +
        `${match.record.verifiedAt} (fingerprint ${match.record.liveSchemaFingerprint.slice(0, 8)}, now ${fingerprint.slice(0, 8)})`,
    };
  }
  return { standby: match };
}
