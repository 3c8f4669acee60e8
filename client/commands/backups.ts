import type { Command } from 'commander';
import { listBackupCatalog } from '../../activities/backup-catalog';
import { settings } from '../../shared/node/settings';
import { getService, loadTopology, serviceNames } from '../../shared/node/topology';
import { action } from '../action';
import { emit, formatBytes, table, type OutputOptions } from '../output';

export function registerBackupCommands(program: Command): void {
  const backups = program
    .command('backups')
    .description("the backup catalog (read from this host's backup directories)");
  backups
    .command('list')
    .description('list backups newest first, with size and age; malformed names are reported')
    .option('--service <name>', 'only this service')
    .option('--json', 'machine-readable output')
    .action(
      action(async (o: { service?: string } & OutputOptions) => {
        const topology = loadTopology(settings.configFile);
        const services = o.service ? [o.service] : serviceNames(topology);
        const catalogs = await Promise.all(services.map((s) => listBackupCatalog(s, getService(topology, s))));
        emit(o, catalogs, () =>
          catalogs
            .map((c) => {
              const rows = c.backups.map((b) => ({
                ...b,
                size: formatBytes(b.sizeBytes),
                age: `${b.ageHours.toFixed(1)} h`,
              }));
              const warning = c.malformed.length
                ? `\n  ignored, name does not follow the convention: ${c.malformed.join(', ')}`
                : '';
              const rpo =
                c.backups[0] && c.backups[0].ageHours > topology.rpoHours
                  ? `\n  WARNING: newest backup is older than the RPO (${topology.rpoHours} h)`
                  : '';
              return (
                `${c.service} (${getService(topology, c.service).backupDirectory})\n` +
                (rows.length ? table(rows, ['file', 'takenAt', 'age', 'size']) : '  no backups') +
                rpo +
                warning
              );
            })
            .join('\n\n'),
        );
      }),
    );
}
