import type { Client } from 'pg';
import type { ServiceConfig } from '../shared/topology';
import { createMissingRoles, MAINTENANCE_DATABASE, type PostgresAccess } from './postgres';

/**
 * Roles policy of the restore: every role the dump names (OWNER TO, GRANT ... TO) that the target server
 * lacks is created NOLOGIN just before psql reads the statement naming it. We chose this over the runbook's
 * REASSIGN OWNED to the service user because it restores the dump exactly as it was (owners and grants
 * intact) and cannot fail halfway; NOLOGIN roles grant nobody access. An SRE can still REASSIGN OWNED
 * afterwards (reassignOwned in postgres.ts). The roles created are logged and returned.
 */
export class RestoreRoleCreator {
  private release?: () => void;
  private opened?: Promise<Client>;
  readonly created: string[] = [];

  constructor(
    private readonly postgres: PostgresAccess,
    private readonly config: ServiceConfig,
  ) {}

  async ensure(roles: string[]): Promise<string[]> {
    const client = await this.connect();
    const created = await createMissingRoles(client, roles);
    this.created.push(...created);
    return created;
  }

  /** One connection for the whole restore, opened on the first role and held until close(). */
  private connect(): Promise<Client> {
    this.opened ??= new Promise<Client>((resolveClient, rejectClient) => {
      const held = new Promise<void>((release) => {
        this.release = release;
      });
      this.postgres
        .withClient(this.config, MAINTENANCE_DATABASE, async (client) => {
          resolveClient(client);
          await held;
        })
        .catch(rejectClient);
    });
    return this.opened;
  }

  close(): void {
    this.release?.();
  }
}
