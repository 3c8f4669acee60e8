import { readFileSync } from 'node:fs';
import type { ServiceConfig } from './topology';

/** Reads a service's database password on the worker: the environment first, then the secret file. */
export function readDatabasePassword(service: ServiceConfig): string {
  const fromEnv = process.env[service.password.env];
  if (fromEnv) return fromEnv;
  if (service.password.file) {
    try {
      return readFileSync(service.password.file, 'utf8').trim();
    } catch {
      // fall through to the error that names both sources
    }
  }
  throw new Error(
    `no password for database user ${service.user}: set ${service.password.env}` +
      (service.password.file ? ` or create ${service.password.file}` : ''),
  );
}
