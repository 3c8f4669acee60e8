/**
 * What a superuser sets up once on each database server, so that the product never needs one afterwards
 * (`opareta-dr setup-roles` prints and runs it; the sandbox runs it on `sandbox up`). Idempotent.
 *
 * amcheck in template1, with EXECUTE on its functions granted to PUBLIC: every side database is created from
 * template1, so it holds amcheck before a byte of the backup runs, and the restored database's throwaway owner
 * (no superuser, no membership) can check its indexes. amcheck is not a trusted extension: without this, a
 * non-superuser could not install it, and the index check is reported as skipped.
 */
export const TEMPLATE1_SETUP_SQL = `CREATE EXTENSION IF NOT EXISTS amcheck;
DO $setup$
DECLARE fn pg_catalog.regprocedure;
BEGIN
  FOR fn IN
    SELECT p.oid::pg_catalog.regprocedure
      FROM pg_catalog.pg_depend d
      JOIN pg_catalog.pg_proc p ON p.oid = d.objid
      JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
     WHERE e.extname = 'amcheck' AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', fn);
  END LOOP;
END
$setup$;
`;

/** Quotes an identifier for SQL, whatever its spelling. */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The role restored objects go to when the service's role is a superuser (activities/restored-ownership.ts). */
export function ownerRoleName(serviceRole: string): string {
  return `${serviceRole}_owner`.slice(0, 63);
}

/**
 * For a service whose role is a superuser: the NOLOGIN owner its restored objects are given instead, with the
 * service's role a member of it. Run in any database; the caller skips the CREATE when the role exists.
 */
export function ownerRoleSetupSql(serviceRole: string): { create: string; grant: string } {
  const owner = quoted(ownerRoleName(serviceRole));
  return {
    create: `CREATE ROLE ${owner} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
    grant: `GRANT ${owner} TO ${quoted(serviceRole)}`,
  };
}

/**
 * The operator role the worker connects as: no superuser. CREATEDB and CREATEROLE for the side databases and their
 * throwaway roles; pg_signal_backend to end sessions before a rename; pg_read_all_stats for database sizes and the
 * progress views; pg_read_all_data for the live database's row counts; a member of the service's role (and of its
 * owner role) to rename, drop and hand over what those own. It never runs a query in a restored database but
 * REASSIGN OWNED and DROP OWNED (activities/README.md). The password is set by the caller, never printed.
 */
export function operatorRoleSetupSql(
  operator: string,
  memberOf: string[],
): { create: string; alter: string; grants: string[] } {
  const role = quoted(operator);
  const attributes = 'LOGIN NOSUPERUSER CREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS';
  return {
    create: `CREATE ROLE ${role} ${attributes}`,
    alter: `ALTER ROLE ${role} ${attributes}`,
    grants: [
      `GRANT pg_signal_backend, pg_read_all_stats, pg_read_all_data TO ${role}`,
      ...memberOf.map((r) => `GRANT ${quoted(r)} TO ${role}`),
    ],
  };
}
