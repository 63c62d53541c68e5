import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createOrm, type Model, onSql } from '@custos/database';
import { CONSENT_BIT, type ConsentStatus, type Purpose } from '@custos/policy';
import {
  createLogger,
  type DevKeys,
  dropRoles,
  loadConfig,
  loadOrCreateDevKeys,
  provisionDatabase,
  signDevToken,
  withDatabase,
} from '@custos/runtime';
import pg from 'pg';
import { inject } from 'vitest';
import { type Running, start } from '../../src/bootstrap.js';
import { SET_CONSENT_BITS } from '../../src/consent/consent.ledger.js';
import { CUSTOS_MODEL } from '../../src/db/model.js';

export interface GqlResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

export interface GqlOptions {
  readonly token?: string | null;
  readonly purpose?: string | null;
  readonly variables?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
}

export interface TestServer {
  readonly baseUrl: string;
  readonly graphqlUrl: string;
  /** The application role's URL, as the server's pool uses it (DATABASE_URL). */
  readonly databaseUrl: string;
  /** The owner role's URL: migrations (DATABASE_OWNER_URL). */
  readonly databaseOwnerUrl: string;
  /** The tickets subgraph's own role's URL (its DATABASE_URL), as `npm start` gives it `custos_tickets`. */
  readonly ticketsDatabaseUrl: string;
  /** The gateway's own role's URL (its DATABASE_URL), as `npm start` gives it `custos_gateway`. */
  readonly gatewayDatabaseUrl: string;
  /** The server's data directory (development keys, audit checkpoints). */
  readonly dataDir: string;
  /** The roles' names. */
  readonly roles: {
    readonly owner: string;
    readonly app: string;
    readonly tickets: string;
    readonly gateway: string;
  };
  readonly running: Running;
  readonly keys: DevKeys;
  /** Every log line the server wrote, as JSON text. */
  readonly logs: string[];
  token(roles: string[], sub?: string): Promise<string>;
  /** A request as a support agent declaring customer_support unless told otherwise. */
  gql<T = Record<string, unknown>>(query: string, options?: GqlOptions): Promise<GqlResponse<T>>;
  /** Runs a statement on the server's database as a superuser, on a separate connection (fixtures, assertions). */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
  /** Stores every audit event the server accepted so far. */
  flushAudit(): Promise<void>;
  /** The SQL statements the server ran while `fn` ran. */
  countSql(fn: () => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { seedContacts?: number; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const adminUrl = inject('adminUrl');
  const name = `custos_t_${randomBytes(6).toString('hex')}`;
  // As deployed: the database owned by one role that migrates, served as another that cannot rewrite ledgers.
  const roles = {
    owner: `${name}_owner`,
    app: `${name}_app`,
    tickets: `${name}_tickets`,
    gateway: `${name}_gateway`,
  };
  const { ownerUrl, appUrl, ticketsUrl, gatewayUrl } = await provisionDatabase(adminUrl, name, roles, {
    owner: randomBytes(18).toString('base64url'),
    app: randomBytes(18).toString('base64url'),
    tickets: randomBytes(18).toString('base64url'),
    gateway: randomBytes(18).toString('base64url'),
  });
  if (!ticketsUrl || !gatewayUrl) throw new Error('the tickets and gateway roles were not provisioned');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'custos-test-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  // One environment for every setting, the job queue's and the mail's (read by start) included.
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: appUrl,
    DATABASE_OWNER_URL: ownerUrl,
    PORT: '0',
    CUSTOS_DATA_DIR: dataDir,
    SEED_CONTACTS: String(options.seedContacts ?? 0),
    DB_POOL_MAX: '4',
    ...options.env,
  };
  const config = loadConfig(env);
  const running = await start(config, createLogger('info', sink), env);
  const keys = await loadOrCreateDevKeys(dataDir);
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, name), max: 2 });
  // Dropping the database `with (force)` at close terminates a client that is still closing: an idle client's
  // error is emitted on the pool, and without a listener it would be an unhandled error of the run.
  pool.on('error', () => {});
  const defaultToken = await signDevToken(keys, {
    sub: 'test-agent',
    roles: ['support_agent'],
    ttlSeconds: 600,
  });

  return {
    baseUrl: running.url,
    graphqlUrl: `${running.url}/graphql`,
    databaseUrl: appUrl,
    databaseOwnerUrl: ownerUrl,
    ticketsDatabaseUrl: ticketsUrl,
    gatewayDatabaseUrl: gatewayUrl,
    roles,
    dataDir,
    running,
    keys,
    logs,
    token: (roles, sub = `test-${roles.join('-')}`) => signDevToken(keys, { sub, roles, ttlSeconds: 600 }),
    gql: <T>(query: string, opts: GqlOptions = {}) =>
      postGraphQL<T>(`${running.url}/graphql`, query, {
        ...opts,
        token: opts.token === undefined ? defaultToken : opts.token,
      }),
    async sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
      return (await pool.query<T>(text, params)).rows;
    },
    flushAudit: () => running.app.flushAudit(),
    async countSql(fn) {
      const seen: string[] = [];
      const stop = onSql((statement) => seen.push(statement));
      try {
        await fn();
      } finally {
        stop();
      }
      return seen;
    },
    async close() {
      await pool.end();
      await running.stop();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
      await dropRoles(adminUrl, roles);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A GraphQL request over HTTP to any Custos service: `token` (null: none) and `purpose` (default
 * customer_support; null: none) become the Authorization and X-Purpose headers.
 */
export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  query: string,
  opts: GqlOptions = {},
): Promise<GqlResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  const purpose = opts.purpose === undefined ? 'customer_support' : opts.purpose;
  if (opts.token !== null && opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (purpose !== null) headers['x-purpose'] = purpose;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: opts.variables }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as GqlResponse<T>['body'] };
}

/**
 * A fixture: a contact's current consent status for a purpose, written as the ledger would leave it
 * (consent_state and the contact's consent bits), without a ledger event. For tests of the row rules.
 */
export async function setConsentState(
  server: Pick<TestServer, 'sql'>,
  contactId: string,
  purpose: Purpose,
  status: ConsentStatus,
): Promise<void> {
  await server.sql(
    `insert into consent_state (contact_id, purpose, status, updated_at) values ($1, $2, $3, now())
     on conflict (contact_id, purpose) do update set status = excluded.status`,
    [contactId, purpose, status],
  );
  await server.sql(SET_CONSENT_BITS, [contactId, 1 << CONSENT_BIT[purpose], status]);
}

/** Shorthand: the first error's code of a response. */
export const errorCode = (res: GqlResponse): unknown => res.body.errors?.[0]?.extensions?.code;

/**
 * What MikroORM would change to make the database match a model's entities, read as the owner role (the
 * application role does not see other roles' constraints in information_schema). Empty: they match.
 */
export async function schemaDiff(
  server: TestServer,
  model: Model = CUSTOS_MODEL,
  schema?: string,
): Promise<string> {
  const orm = await createOrm({ url: server.databaseOwnerUrl, poolMax: 1, model });
  try {
    return (await orm.schema.getUpdateSchemaSQL({ wrap: false, ...(schema ? { schema } : {}) })).trim();
  } finally {
    await orm.close();
  }
}

/** A logger at `level` whose lines a test reads back (warnings at start, say). */
export function captureLogs(level: 'warn' | 'info' = 'warn') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, logger: createLogger(level, sink) };
}

/** The PostgreSQL error `statement` fails with on `client` (a role under test); a statement that succeeds throws. */
export async function refusalOn(
  client: pg.Client,
  statement: string,
): Promise<{ code?: string; message: string }> {
  try {
    await client.query(statement);
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error(`expected "${statement}" to be refused`);
}
