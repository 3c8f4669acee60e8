import type { Command } from 'commander';
import type { ServiceBackupCatalog } from '../../shared/workflow-types';
import { action } from '../action';
import { parsePositiveSeconds } from '../arguments';
import { DEFAULT_LISTING_TIMEOUT_SECONDS, fetchBackupCatalogs } from '../backup-catalogs';
import { emit, formatBytes, table, type OutputOptions } from '../output';
import { withClient } from '../temporal';

export function registerBackupCommands(program: Command): void {
  const backups = program
    .command('backups')
    .description("the backup catalog, as the worker sees it (read from the worker's backup directories)");
  backups
    .command('list')
    .description('list backups newest first, with size and age; malformed names are reported')
    .option('--service <name>', 'only this service')
    .option(
      '--timeout <seconds>',
      'give up when no worker has answered by then',
      String(DEFAULT_LISTING_TIMEOUT_SECONDS),
    )
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: { service?: string; timeout: string } & OutputOptions) => {
        const timeoutSeconds = parsePositiveSeconds('--timeout', o.timeout);
        const catalogs = await withClient((client) => fetchBackupCatalogs(client, o.service, timeoutSeconds));
        emit(o, catalogs, () => catalogs.map(describeCatalog).join('\n\n'));
      }),
    );
}

function describeCatalog(catalog: ServiceBackupCatalog): string {
  const rows = catalog.backups.map((b) => ({
    ...b,
    size: formatBytes(b.sizeBytes),
    age: `${b.ageHours.toFixed(1)} h`,
  }));
  const newest = catalog.backups[0];
  const rpo =
    newest && newest.ageHours > catalog.rpoHours
      ? `\n  WARNING: newest backup is older than the RPO (${catalog.rpoHours} h)`
      : '';
  const warning = catalog.malformed.length
    ? `\n  ignored, name does not follow the convention: ${catalog.malformed.join(', ')}`
    : '';
  return (
    `${catalog.service} (${catalog.directory})\n` +
    (rows.length ? table(rows, ['file', 'takenAt', 'age', 'size']) : '  no backups') +
    rpo +
    warning
  );
}
