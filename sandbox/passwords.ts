import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceConfig } from '../shared/node/topology';

/**
 * The sandbox database password of a service: the worker's environment variable when set (so the
 * worker and the sandbox agree), else the secret file, created with a random password on first use.
 */
export function ensureSandboxPassword(service: ServiceConfig): string {
  return ensureSandboxSecret(service.password, service.user);
}

/** The same for the operator role the worker connects as, when the sandbox config names one. */
export function ensureOperatorPassword(service: ServiceConfig): string | undefined {
  return service.operator && ensureSandboxSecret(service.operator.password, service.operator.user);
}

function ensureSandboxSecret(source: ServiceConfig['password'], user: string): string {
  const fromEnv = process.env[source.env];
  if (fromEnv) return fromEnv;
  const file = source.file;
  if (!file) throw new Error(`the sandbox needs password.file or ${source.env} for user ${user}`);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored) return stored;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // base64url: no quotes or backslashes, so it is also safe inside a SQL string literal.
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, password + '\n', { mode: 0o600 });
  return password;
}
