import { readFileSync } from 'node:fs';
import type { ServiceConfig } from './topology';

/**
 * Reads, on the worker, the password of the role the worker connects as: the operator's when the service names
 * one, else the service role's. The environment first, then the secret file.
 */
export function readDatabasePassword(service: ServiceConfig): string {
  const { user, password } = service.operator ?? { user: service.user, password: service.password };
  const fromEnv = process.env[password.env];
  if (fromEnv) return fromEnv;
  if (password.file) {
    try {
      return readFileSync(password.file, 'utf8').trim();
    } catch {
      // fall through to the error that names both sources
    }
  }
  throw new Error(
    `no password for database user ${user}: set ${password.env}` + (password.file ? ` or create ${password.file}` : ''),
  );
}
