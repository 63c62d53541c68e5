// The bench's PostgreSQL: the server (configured, or an embedded one), and its own database `custos_bench` holding
// exactly BENCH_CONTACTS contacts, provisioned with the roles Custos is deployed with.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { loadProvisionDatabase, loadStartEmbeddedPostgres, subgraphDist } from './custos.js';
import { repoRoot } from './paths.js';
import { onCleanup, startChild } from './processes.js';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `fn(client)` on one connection to `url`, closing it afterwards. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** One query's rows, on a connection of its own. */
export function queryRows<Row extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: readonly unknown[] = [],
): Promise<Row[]> {
  return withClient(url, async (client) => (await client.query<Row>(sql, [...values])).rows);
}

/**
 * Deletes the bench's rows of `table` (those `where` selects, with `values`) and the jobs that name them (the
 * payload's `key` holds the row's id) in `queues`, in one transaction; the number of rows. As the owner of the
 * bench database, so that a section's rows and their jobs do not outlive it (nor its interrupted run).
 */
export function deleteRowsAndJobs(
  url: string,
  rows: { readonly table: string; readonly where: string; readonly values: readonly unknown[] },
  jobs: { readonly queues: readonly string[]; readonly key: string },
): Promise<number> {
  return withClient(url, async (client) => {
    await client.query('begin');
    await client.query(
      `delete from pgboss.job where name = any($${rows.values.length + 1}::text[])
          and data->>'${jobs.key}' in (select id::text from ${rows.table} where ${rows.where})`,
      [...rows.values, jobs.queues],
    );
    const { rowCount } = await client.query(`delete from ${rows.table} where ${rows.where}`, [
      ...rows.values,
    ]);
    await client.query('commit');
    return rowCount ?? 0;
  });
}

export interface DatabaseServer {
  readonly adminUrl: string;
  /** Where it came from: the variable that named it, or `embedded`. */
  readonly kind: 'BENCH_DATABASE_URL' | 'DATABASE_URL' | 'embedded';
}

/** The admin URL of the PostgreSQL server to use, starting an embedded one when none is configured. */
export async function resolveDatabaseServer(): Promise<DatabaseServer> {
  const external = process.env.BENCH_DATABASE_URL?.trim() || process.env.DATABASE_URL?.trim();
  if (external) {
    return {
      adminUrl: external,
      kind: process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'DATABASE_URL',
    };
  }
  const startEmbeddedPostgres = await loadStartEmbeddedPostgres();
  const dataDir = path.join(repoRoot, '.data', 'bench-pg');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    // As root, PostgreSQL runs as the `postgres` user, which must be able to traverse (not list) every folder
    // above its cluster: `.data` and `.data/bench-pg` are created 0700.
    for (const dir of [path.dirname(dataDir), dataDir]) await chmod(dir, 0o711);
  }
  const log: string[] = [];
  console.log('starting embedded PostgreSQL (.data/bench-pg)…');
  try {
    const embedded = await startEmbeddedPostgres({ dataDir, onLog: (line) => log.push(line) });
    onCleanup(() => embedded.stop());
    return { adminUrl: embedded.adminUrl, kind: 'embedded' };
  } catch (error) {
    console.error(log.slice(-30).join('\n'));
    throw error;
  }
}

async function countContacts(url: string): Promise<number | null> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ present: boolean }>(
      "select to_regclass('public.contact') is not null as present",
    );
    if (!rows[0]?.present) return null;
    const count = await client.query<{ n: number }>('select count(*)::int as n from contact');
    return count.rows[0]?.n ?? null;
  });
}

/** The URLs of one provisioned bench database's roles. */
interface RoleUrls {
  readonly appUrl: string;
  readonly ownerUrl: string;
  /** Undefined only for a baseline older than the gateway's role (it serves no gateway). */
  readonly gatewayUrl: string | undefined;
}

/**
 * The bench database as Custos is deployed: owned by `<name>_owner` (migrations), served as `<name>_app`, the
 * gateway's audit trail written as `<name>_gateway` (apps/subgraph/src/db/roles.ts). Fresh passwords every run.
 * Every Custos server the bench starts migrates as the owner and serves as the application role; the gateway (in
 * production) refuses the application role, and runs as its own (granted by the owner at its start).
 */
async function provisionRoles(adminUrl: string, name: string, dist: string): Promise<RoleUrls> {
  const provisionDatabase = await loadProvisionDatabase(dist);
  const passwords = {
    owner: randomBytes(18).toString('base64url'),
    app: randomBytes(18).toString('base64url'),
    gateway: randomBytes(18).toString('base64url'),
  };
  const { ownerUrl, appUrl, gatewayUrl } = await provisionDatabase(
    adminUrl,
    name,
    { owner: `${name}_owner`, app: `${name}_app`, gateway: `${name}_gateway` },
    passwords,
  );
  // A baseline checkout (BENCH_BASELINE_DIR) may predate the gateway's role: only this checkout's gateway needs it.
  if (!gatewayUrl && dist === subgraphDist)
    throw new Error('provisionDatabase gave no URL for the gateway role');
  return { appUrl, ownerUrl, gatewayUrl };
}

/** A bench database: the superuser's URL (fixtures, statistics) and its roles' (every server). */
export interface BenchDatabase extends RoleUrls {
  readonly url: string;
  /** Whether this run seeded it. */
  readonly seeded: boolean;
}

/**
 * Makes database `name` hold exactly `contacts` contacts. The seed CLI only fills an empty database (it has no
 * --force), so any other count means: drop, recreate, seed. Never touches another database. `dist` is the subgraph
 * build whose roles and seed are used (this checkout's, or the baseline's).
 */
export async function ensureBenchDatabase(
  adminUrl: string,
  name: string,
  contacts: number,
  dist: string = subgraphDist,
): Promise<BenchDatabase> {
  const url = withDatabase(adminUrl, name);
  const exists =
    (await queryRows(adminUrl, 'select 1 from pg_database where datname = $1', [name])).length === 1;
  if (exists) {
    const count = await countContacts(url);
    if (count === contacts) {
      console.log(`database ${name}: ${count} contacts, reusing it`);
      return { url, ...(await provisionRoles(adminUrl, name, dist)), seeded: false };
    }
    console.log(`database ${name}: ${count ?? 'no'} contacts, want ${contacts}; recreating it`);
    await withClient(adminUrl, (client) =>
      client.query(`drop database ${client.escapeIdentifier(name)} with (force)`),
    );
  }
  const roles = await provisionRoles(adminUrl, name, dist);

  const seedCli = path.join(dist, 'cli', 'seed.js');
  if (!existsSync(seedCli)) {
    throw new Error(
      `${path.relative(repoRoot, seedCli)} is missing: build the subgraph first (npm run build)`,
    );
  }
  console.log(`seeding ${contacts} contacts (${path.relative(repoRoot, seedCli)})…`);
  const started = Date.now();
  const seed = startChild('seed', process.execPath, [seedCli, '--contacts', String(contacts)], {
    env: {
      ...process.env,
      DATABASE_URL: roles.appUrl,
      DATABASE_OWNER_URL: roles.ownerUrl,
      LOG_LEVEL: 'warn',
    },
    inheritStderr: true,
  });
  const { code, signal } = await seed.exited;
  if (code !== 0) {
    throw new Error(
      `seed failed (exit ${code ?? signal})${code === 3 ? ': database not empty' : ''}\n${seed.output()}`,
    );
  }
  // Fresh statistics and visibility map, so the first measured server does not pay for autovacuum's catch-up.
  await withClient(url, (client) => client.query('vacuum analyze'));
  const count = await countContacts(url);
  console.log(`seeded ${count} contacts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (count !== contacts) {
    console.warn(`warning: the seed wrote ${count} contacts, not ${contacts}; the next run will reseed`);
  }
  return { url, ...roles, seeded: true };
}
