import pg from 'pg';
import type { Logger } from './logger.js';

/**
 * Database roles (GDPR Art 32, and the consent ledger's "append-only, enforced in the database"):
 * - the **owner** runs the migrations and owns every table, view, trigger and function;
 * - the **application** role is what the Custos subgraph's connection pools use. It holds exactly the table
 *   privileges declared below: it can append to the ledgers but never UPDATE, DELETE or TRUNCATE them, and, owning
 *   nothing, it can neither drop nor disable their triggers;
 * - the **tickets** role serves the tickets subgraph: its own schema, a view of the contacts' privacy state, and
 *   here only {@link AUDIT_WRITER_GRANTS} — never a column of `contact` nor the consent ledger;
 * - the **gateway** role writes the gateway's refusals into the audit trail: {@link AUDIT_WRITER_GRANTS} and
 *   nothing else at all — no schema of its own, no view of `contact`.
 *
 * The privileges are data, declared per table next to the schema they belong to, and applied by the owner after
 * every migration run. A table nobody declared stops the start: a new table is never reachable by accident, nor
 * silently unreachable.
 */
export type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | ColumnSelect;
/** SELECT on some columns of a table only, as PostgreSQL's GRANT writes it: `SELECT (digest)`. */
export type ColumnSelect = `SELECT (${string})`;

/** The columns a `SELECT (a, b)` declaration opens; undefined when SELECT is not limited to columns. */
function selectColumns(declared: readonly TablePrivilege[]): string[] | undefined {
  const limited = declared.find((privilege) => privilege.startsWith('SELECT ('));
  return limited
    ?.slice('SELECT ('.length, -1)
    .split(',')
    .map((column) => column.trim());
}

/** Shorthands for declaring grants. */
export const READ_WRITE: readonly TablePrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
export const APPEND_ONLY: readonly TablePrivilege[] = ['SELECT', 'INSERT'];
export const READ_ONLY: readonly TablePrivilege[] = ['SELECT'];

export interface SchemaGrants {
  readonly schema: string;
  readonly tables: Readonly<Record<string, readonly TablePrivilege[]>>;
  /** `false`: no sequence of the schema is granted (the role inserts no row that draws from one). */
  readonly sequences?: false;
  /**
   * `'none'`: the schema is another service's, and every table of it not listed is declared with no privilege
   * at all (a table its owner adds later is closed to this role too). Otherwise every table of the schema must
   * be listed, and one nobody declared stops the start.
   */
  readonly others?: 'none';
}

/** Runs `fn` on one connection to `url`, in a transaction when asked; the connection is closed afterwards. */
async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  transaction = false,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (!transaction) return await fn(client);
    await client.query('begin');
    try {
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
  } finally {
    await client.end();
  }
}

/** Who is connected behind `url`. */
export function currentRole(url: string): Promise<string> {
  return withClient(
    url,
    async (client) => (await client.query<{ role: string }>('select current_user as role')).rows[0]!.role,
  );
}

/**
 * The privileges the role behind `url` holds on the schema's tables beyond those declared, as `table: PRIV, …`
 * (an owner or superuser holds them all). Empty when the role is exactly as declared.
 */
export function excessPrivileges(url: string, grants: SchemaGrants): Promise<string[]> {
  return withClient(url, async (client) => {
    const excess: string[] = [];
    const tables: Record<string, readonly TablePrivilege[]> = { ...grants.tables };
    if (grants.others === 'none') {
      // Every other table, view and partition of the schema: declared with no privilege.
      for (const name of await relationsOf(client, grants.schema)) tables[name] ??= [];
    }
    for (const [table, declared] of Object.entries(tables)) {
      const qualified = `${client.escapeIdentifier(grants.schema)}.${client.escapeIdentifier(table)}`;
      const extra: string[] = [];
      const columns = selectColumns(declared);
      for (const privilege of ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] as const) {
        if ((declared as readonly string[]).includes(privilege)) continue;
        if (privilege === 'SELECT' && columns) {
          // SELECT on the declared columns only: the table's privilege or any other column's is excess.
          const { rows } = await client.query<{ name: string }>(
            `select a.attname as name from pg_attribute a
              where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
                and (has_table_privilege($1, 'SELECT') or has_column_privilege($1, a.attname, 'SELECT'))
                and a.attname <> all($2::text[])
              order by a.attnum`,
            [qualified, columns],
          );
          if (rows.length > 0) extra.push(`SELECT (${rows.map((row) => row.name).join(', ')})`);
          continue;
        }
        // A column-level grant (`grant select (email) on contact`) counts as much as a table-level one.
        const test =
          privilege === 'DELETE' || privilege === 'TRUNCATE'
            ? 'has_table_privilege($1, $2)'
            : 'has_any_column_privilege($1, $2)';
        const { rows } = await client.query<{ yes: boolean }>(
          `select case when to_regclass($1) is null then false else ${test} end as yes`,
          [qualified, privilege],
        );
        if (rows[0]?.yes) extra.push(privilege);
      }
      if (extra.length > 0) excess.push(`${table}: ${extra.join(', ')}`);
    }
    return excess;
  });
}

/**
 * The declared privileges the role behind `url` lacks, as `table: PRIV, …` (`SELECT (col)` for a column it may
 * not read). Empty when it holds all of them: a role nobody has granted yet cannot do its service's work.
 */
export function missingPrivileges(url: string, grants: SchemaGrants): Promise<string[]> {
  return withClient(url, async (client) => {
    const missing: string[] = [];
    for (const [table, declared] of Object.entries(grants.tables)) {
      const qualified = `${client.escapeIdentifier(grants.schema)}.${client.escapeIdentifier(table)}`;
      const lacking: string[] = [];
      for (const privilege of declared) {
        const columns = selectColumns([privilege]);
        const checks = columns
          ? columns.map((column) => ({
              sql: 'has_column_privilege($1, $2, $3)',
              params: [qualified, column, 'SELECT'],
              name: `SELECT (${column})`,
            }))
          : [{ sql: 'has_table_privilege($1, $2)', params: [qualified, privilege], name: privilege }];
        for (const check of checks) {
          const { rows } = await client.query<{ yes: boolean }>(
            `select case when to_regclass($1) is null then false else ${check.sql} end as yes`,
            check.params,
          );
          if (!rows[0]?.yes) lacking.push(check.name);
        }
      }
      if (lacking.length > 0) missing.push(`${table}: ${lacking.join(', ')}`);
    }
    return missing;
  });
}

/**
 * What the role behind `url` holds beyond the tables of `grants.schema` (which {@link excessPrivileges} checks),
 * the system catalogs aside: any privilege on a table, view or sequence of another schema (another service's,
 * `tickets`, say), and on a sequence of `grants.schema` when the grants open none — as `schema.name: any`. For a
 * role that should reach nothing but those declared tables (the gateway's: the audit trail).
 */
export function privilegesElsewhere(url: string, grants: SchemaGrants): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname <> all(array['pg_catalog', 'information_schema'])
          and (n.nspname <> $1 and c.relkind in ('r', 'p', 'v', 'm', 'f')
                and (has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                     or has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
               or c.relkind = 'S' and (n.nspname <> $1 or $2::boolean)
                and has_sequence_privilege(c.oid, 'USAGE, SELECT, UPDATE'))
        order by 1`,
      [grants.schema, grants.sequences === false],
    );
    return rows.map((row) => `${row.name}: any`);
  });
}

/** The tables, views and materialized views of a schema, by name. */
async function relationsOf(client: pg.Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm') order by 1`,
    [schema],
  );
  return rows.map((row) => row.name);
}

export class GrantsError extends Error {
  override name = 'GrantsError';
}

/**
 * Gives `appRole` exactly the declared privileges on the schema's tables, and nothing else in it: runs as the
 * owner, in one transaction, serialised with other instances starting at the same time.
 */
export function applyGrants(ownerUrl: string, appRole: string, grants: SchemaGrants): Promise<void> {
  return withClient(
    ownerUrl,
    async (client) => {
      const id = (name: string) => client.escapeIdentifier(name);
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`custos:grants:${grants.schema}`]);
      const present = new Set(await relationsOf(client, grants.schema));
      const undeclared =
        grants.others === 'none' ? [] : [...present].filter((name) => !(name in grants.tables));
      const missing = Object.keys(grants.tables).filter((name) => !present.has(name));
      if (undeclared.length > 0 || missing.length > 0) {
        throw new GrantsError(
          [
            `the application role's privileges on schema ${grants.schema} do not match its tables`,
            ...(undeclared.length ? [`no privileges declared for: ${undeclared.join(', ')}`] : []),
            ...(missing.length ? [`declared but not in the database: ${missing.join(', ')}`] : []),
            '(declare them in the service’s SchemaGrants: apps/subgraph/src/db/grants.ts, apps/tickets/src/db/model.ts)',
          ].join('; '),
        );
      }
      const schema = id(grants.schema);
      await client.query(`grant usage on schema ${schema} to ${id(appRole)}`);
      await client.query(`revoke all on all tables in schema ${schema} from ${id(appRole)}`);
      await client.query(`revoke all on all sequences in schema ${schema} from ${id(appRole)}`);
      for (const [table, privileges] of Object.entries(grants.tables)) {
        if (privileges.length === 0) continue;
        await client.query(`grant ${privileges.join(', ')} on ${schema}.${id(table)} to ${id(appRole)}`);
      }
      if (grants.sequences !== false) {
        await client.query(`grant usage on all sequences in schema ${schema} to ${id(appRole)}`);
      }
    },
    true,
  );
}

export interface RoleNames {
  readonly owner: string;
  readonly app: string;
  /** The tickets subgraph's own role: its schema, a view of the contacts' privacy state, the audit trail. */
  readonly tickets?: string;
  /** The gateway's own role: the audit trail only (AUDIT_WRITER_GRANTS), for the requests it refuses. */
  readonly gateway?: string;
}

export interface RolePasswords {
  readonly owner: string;
  readonly app: string;
  readonly tickets?: string;
  readonly gateway?: string;
}

/** The login roles besides the owner and the application role: each holds only what its service declares. */
const SERVICE_ROLES = ['tickets', 'gateway'] as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * On a server where `adminUrl` is a superuser: creates (or updates the passwords of) the owner and application
 * login roles (and the tickets and gateway roles, when named) and database `name` owned by the owner, and hands the owner
 * whatever an older version of Custos created there as another role (the embedded default used one superuser
 * before). Returns their URLs.
 */
export async function provisionDatabase(
  adminUrl: string,
  name: string,
  roles: RoleNames,
  passwords: RolePasswords,
): Promise<{
  ownerUrl: string;
  appUrl: string;
  ticketsUrl: string | undefined;
  gatewayUrl: string | undefined;
}> {
  const logins: (readonly [string, string])[] = [
    [roles.owner, passwords.owner],
    [roles.app, passwords.app],
  ];
  for (const service of SERVICE_ROLES) {
    const role = roles[service];
    if (role === undefined) continue;
    const password = passwords[service];
    if (password === undefined) throw new Error(`the ${service} role needs a password`);
    logins.push([role, password]);
  }
  for (const identifier of [name, ...logins.map(([role]) => role)]) {
    if (!IDENTIFIER.test(identifier))
      throw new Error('database and role names must be lowercase identifiers');
  }
  await withClient(adminUrl, async (admin) => {
    // Roles are cluster-wide: two processes provisioning at once must not both try to create them.
    await admin.query('select pg_advisory_lock(hashtext($1))', [`custos:provision:${name}`]);
    for (const [role, password] of logins) {
      const exists = await admin.query('select 1 from pg_roles where rolname = $1', [role]);
      const verb = exists.rowCount === 0 ? 'create' : 'alter';
      // DDL takes no parameters: the password is quoted as a literal by the driver.
      await admin.query(
        `${verb} role ${admin.escapeIdentifier(role)} login nosuperuser nocreatedb nocreaterole password ${admin.escapeLiteral(password)}`,
      );
    }
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await admin.query(
        `create database ${admin.escapeIdentifier(name)} owner ${admin.escapeIdentifier(roles.owner)}`,
      );
    } else {
      await admin.query(
        `alter database ${admin.escapeIdentifier(name)} owner to ${admin.escapeIdentifier(roles.owner)}`,
      );
    }
    await admin.query(`select pg_advisory_unlock(hashtext($1))`, [`custos:provision:${name}`]);
  });
  await withClient(
    withDatabase(adminUrl, name),
    async (client) => {
      const owner = client.escapeIdentifier(roles.owner);
      await client.query(`alter schema public owner to ${owner}`);
      // Adopt what another role created in our schemas (tables, views, sequences, functions, schemas).
      const { rows } = await client.query<{ statement: string }>(
        `select format('alter schema %I owner to %I', n.nspname, $1::text) as statement
         from pg_namespace n where n.nspname = 'tickets' and pg_get_userbyid(n.nspowner) <> $1
       union all
       select format('alter %s %I.%I owner to %I',
                     case c.relkind when 'S' then 'sequence' when 'v' then 'view'
                                    when 'm' then 'materialized view' else 'table' end,
                     n.nspname, c.relname, $1::text)
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('public', 'tickets') and c.relkind in ('r', 'p', 'v', 'm', 'S')
          and pg_get_userbyid(c.relowner) <> $1
          and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i'))
       union all
       select format('alter function %I.%I(%s) owner to %I', n.nspname, p.proname,
                     pg_get_function_identity_arguments(p.oid), $1::text)
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'tickets') and pg_get_userbyid(p.proowner) <> $1
          and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`,
        [roles.owner],
      );
      for (const { statement } of rows) await client.query(statement);
      // The tickets subgraph served as the application role before it had its own: whatever that left the
      // application role in schema `tickets` (its tickets' text) is taken back. The tickets role is granted its
      // own privileges by the owner when the tickets subgraph starts.
      const tickets = await client.query(`select 1 from pg_namespace where nspname = 'tickets'`);
      if (roles.tickets !== undefined && tickets.rowCount === 1) {
        const app = client.escapeIdentifier(roles.app);
        await client.query(`revoke all on all tables in schema tickets from ${app}`);
        await client.query(`revoke all on schema tickets from ${app}`);
      }
    },
    true,
  );
  const serviceUrl = (service: (typeof SERVICE_ROLES)[number]) => {
    const role = roles[service];
    const password = passwords[service];
    return role === undefined || password === undefined
      ? undefined
      : withCredentials(adminUrl, name, role, password);
  };
  return {
    ownerUrl: withCredentials(adminUrl, name, roles.owner, passwords.owner),
    appUrl: withCredentials(adminUrl, name, roles.app, passwords.app),
    ticketsUrl: serviceUrl('tickets'),
    gatewayUrl: serviceUrl('gateway'),
  };
}

/** Drops a database {@link provisionDatabase} made, ending its connections (tests, benchmarks). */
export function dropDatabase(adminUrl: string, name: string): Promise<void> {
  return withClient(adminUrl, async (admin) => {
    await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
  });
}

/** Drops the roles {@link provisionDatabase} made, after their database is gone (tests, benchmarks). */
export function dropRoles(adminUrl: string, roles: RoleNames): Promise<void> {
  return withClient(adminUrl, async (admin) => {
    for (const role of [roles.gateway, roles.tickets, roles.app, roles.owner]) {
      if (role === undefined) continue;
      await admin.query(`drop role if exists ${admin.escapeIdentifier(role)}`);
    }
  });
}

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

function withCredentials(url: string, name: string, user: string, password: string): string {
  const parsed = new URL(withDatabase(url, name));
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

export class DatabaseRoleError extends Error {
  override name = 'DatabaseRoleError';
}

/** A role that reaches more of the database than declared: what it holds beyond, never a URL. */
export const reachesMore = (schema: string | undefined, excess: readonly string[]): string =>
  `DATABASE_URL connects as a role that reaches more than this service may, in schema ${schema} or beyond ` +
  `(${excess.join('; ')}): give the service a role of its own (README: database roles)`;

/**
 * Gives `role` (behind `database.url`) the privileges `grants` declare on another service's schema, as the owner,
 * only when it holds no more than those: a role that holds more (Custos' own application role, in a quick local
 * setup) is never stripped of what its own service needs.
 */
export async function grantWithin(
  database: { readonly url: string; readonly ownerUrl: string },
  role: string,
  grants: SchemaGrants,
): Promise<void> {
  if ((await excessPrivileges(database.url, grants)).length === 0) {
    await applyGrants(database.ownerUrl, role, grants);
  }
}

/**
 * Readies the role of a service that keeps no schema of its own and only writes into another's (the gateway:
 * the audit trail, AUDIT_WRITER_GRANTS): granted by the owner when `ownerUrl` is given, then checked: in
 * production a role that reaches more — Custos' application role, which reads every column of `contact`, the
 * owner, another service's role — or that lacks a declared privilege refuses the start; elsewhere it is a warning.
 */
export async function prepareSharedRole(
  database: { readonly url: string; readonly ownerUrl: string | undefined },
  grants: SchemaGrants,
  options: { readonly production: boolean; readonly logger: Logger },
): Promise<void> {
  const { url, ownerUrl } = database;
  if (ownerUrl !== undefined) {
    const [role, ownerRole] = await Promise.all([currentRole(url), currentRole(ownerUrl)]);
    if (role !== ownerRole) await grantWithin({ url, ownerUrl }, role, grants);
  }
  // Nothing beyond the declared tables of that one schema: not another service's schema either.
  const excess = [...(await excessPrivileges(url, grants)), ...(await privilegesElsewhere(url, grants))];
  // Nor less: a role nobody granted would lose every event it should write.
  const missing = await missingPrivileges(url, grants);
  if (excess.length === 0 && missing.length === 0) return;
  const problem =
    excess.length > 0
      ? reachesMore(grants.schema, excess)
      : `DATABASE_URL connects as a role that lacks what this service needs in schema ${grants.schema} ` +
        `(${missing.join('; ')}): have the owner grant it (DATABASE_OWNER_URL; README: database roles)`;
  if (options.production) throw new DatabaseRoleError(problem);
  options.logger.warn({ schema: grants.schema }, problem);
}
