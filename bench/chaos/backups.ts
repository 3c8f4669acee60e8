import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { backupFileName, backupService, generateData } from '../../sandbox';
import type { Topology } from '../../shared/node/topology';
import { dropDatabaseForce, withDatabase } from './db';
import { fingerprintDatabase, type Fingerprint } from './fingerprint';

/**
 * One backup generation of every service, large enough that a restore takes at least 20 s here, with the
 * fingerprint of the data it holds. Generated once per scale from a scratch database in each chaos
 * database container (the live databases keep the small sample data) and cached in .data/chaos/backups:
 * generating and dumping a few hundred MB takes minutes on this machine.
 */
export interface ChaosBackup {
  service: string;
  file: string;
  fingerprint: Fingerprint;
}

export interface ChaosGeneration {
  scale: number;
  /** YYYYMMDD_HHMMSS, for fullSystemRestore's `timestamp`. */
  timestamp: string;
  backups: Record<string, ChaosBackup>;
}

/** A date in 2021 per scale: never "latest" next to a real backup, and one generation per scale. */
function generationDate(scale: number): Date {
  return new Date(Date.UTC(2021, 0, 1, 0, 0, 0) + scale * 1000);
}

function timestampOf(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}_${iso.slice(11, 19).replaceAll(':', '')}`;
}

export async function ensureChaosGeneration(
  topology: Topology,
  scale: number,
  log: (line: string) => void,
): Promise<ChaosGeneration> {
  const date = generationDate(scale);
  const index = path.join(topology.backupRoot, `chaos-generation-scale${scale}.json`);
  if (existsSync(index)) {
    const cached = JSON.parse(await readFile(index, 'utf8')) as ChaosGeneration;
    const complete = Object.entries(topology.services).every(([service, config]) =>
      existsSync(path.join(config.backupDirectory, cached.backups[service]?.file ?? '-')),
    );
    if (complete) return cached;
  }
  const backups: Record<string, ChaosBackup> = {};
  for (const [service, config] of Object.entries(topology.services)) {
    const source = `${config.database}_chaos_source`;
    const scratch: Topology = { ...topology, services: { [service]: { ...config, database: source } } };
    const started = Date.now();
    log(`chaos: generating ${service} at scale ${scale} (once; cached in ${topology.backupRoot})`);
    await dropDatabaseForce(config, source);
    await withDatabase(config, 'postgres', (client) => client.query(`CREATE DATABASE ${source}`));
    try {
      await generateData(service, { topology: scratch, scale });
      const fingerprint = await fingerprintDatabase(config, source);
      const file = backupFileName(config.backupPattern, service, date);
      // A file without the index is from an interrupted generation: its data may not match the fingerprint.
      await rm(path.join(config.backupDirectory, file), { force: true });
      await backupService(service, { topology: scratch, timestamp: date, log });
      backups[service] = { service, file, fingerprint };
      log(`chaos: ${service} backup ${file} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      await dropDatabaseForce(config, source);
    }
  }
  const generation: ChaosGeneration = { scale, timestamp: timestampOf(date), backups };
  await writeFile(index, JSON.stringify(generation, null, 2) + '\n');
  return generation;
}
