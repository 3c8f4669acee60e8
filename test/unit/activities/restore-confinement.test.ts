import { describe, expect, it } from 'vitest';
import { psqlSupportsRestrict, restoreRoleName } from '../../../activities/restore-confinement';

describe('restore confinement', () => {
  it.each([
    ['psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)', true],
    ['psql (PostgreSQL) 15.14', true],
    ['psql (PostgreSQL) 15.13', false],
    ['psql (PostgreSQL) 16.10', true],
    ['psql (PostgreSQL) 16.9', false],
    ['psql (PostgreSQL) 17.6', true],
    ['psql (PostgreSQL) 14.19', true],
    ['psql (PostgreSQL) 12.22', false],
    ['psql (PostgreSQL) 18.1', true],
    ['no version here', false],
  ])('%s knows \\restrict: %s', (version, expected) => {
    expect(psqlSupportsRestrict(version)).toBe(expected);
  });

  it('names one restore role per side database, a valid identifier', () => {
    const name = restoreRoleName('argus_db_restore_20240101_abc');
    expect(name).toMatch(/^opareta_restore_[0-9a-f]{16}$/);
    expect(restoreRoleName('argus_db_restore_20240101_abc')).toBe(name);
    expect(restoreRoleName('hermes_db_restore_20240101_abc')).not.toBe(name);
  });
});
