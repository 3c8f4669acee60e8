import { describe, expect, it } from 'vitest';
import { isStandbyName, parseRecordComment, recordComment } from '../../../activities/standby';
import type { StandbyRecord } from '../../../shared/activity-contract';

const record: StandbyRecord = {
  service: 'argus',
  database: 'argus_db_standby_20261202030000_abcdef',
  backupFile: 'argus_20261202_020000.sql.gz',
  backupTakenAt: '2026-12-02T02:00:00.000Z',
  manifest: {
    service: 'argus',
    file: 'argus_20261202_020000.sql.gz',
    sizeBytes: 1000,
    uncompressedBytes: 8000,
    tables: [{ table: 'public.users', rows: 42 }],
    roles: [],
  },
  verifiedAt: '2026-12-02T03:05:00.000Z',
  checks: [{ name: 'argus has users', passed: true, detail: '42 >= 1' }],
  liveSchemaFingerprint: '0123456789abcdef0123456789abcdef',
  drillWorkflowId: 'drill-20261202T030000Z',
};

describe('the standby record in the database comment', () => {
  it('reads back what was written', () => {
    expect(parseRecordComment(recordComment(record))).toEqual(record);
  });

  it('ignores comments that are not ours, not JSON, another version, or incomplete', () => {
    expect(parseRecordComment(null)).toBeUndefined();
    expect(parseRecordComment('kept by hand for the audit, do not drop')).toBeUndefined();
    expect(parseRecordComment(JSON.stringify({ ...record }))).toBeUndefined();
    expect(parseRecordComment(recordComment(record).replace('"version":1', '"version":2'))).toBeUndefined();
    const incomplete: Partial<StandbyRecord> = { ...record };
    delete incomplete.liveSchemaFingerprint;
    expect(parseRecordComment(recordComment(incomplete as StandbyRecord))).toBeUndefined();
  });

  it('knows the service’s standby names and nothing else', () => {
    expect(isStandbyName('argus_db', 'argus_db_standby_20261202030000_abcdef')).toBe(true);
    expect(isStandbyName('argus_db', 'argus_db_standby_')).toBe(false);
    expect(isStandbyName('argus_db', 'argus_db')).toBe(false);
    expect(isStandbyName('argus_db', 'argus_db_restore_20261202030000_abcdef')).toBe(false);
    expect(isStandbyName('argus_db', 'hermes_db_standby_20261202030000_abcdef')).toBe(false);
  });
});
