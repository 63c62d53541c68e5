// The servers the bench measures: what each one is (ServerSpec), the Custos and gateway specs the sections share,
// and how one is started (pinned, on a free port, ready) and stopped.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Run } from './context.js';
import type { BenchDatabase } from './database.js';
import { canConnect, freePort, sleep } from './loopback.js';
import { repoRoot } from './paths.js';
import { type ChildHandle, nodeCommand, startChild, stopChild } from './processes.js';
import { CUSTOS_FIELDS, CUSTOS_QUERY } from './queries.js';
import type { ServerName, Settings } from './settings.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_KEYS, type Identity } from './tokens.js';

/** What a server's environment is built from. */
export interface ServerEnvContext {
  readonly settings: Settings;
  readonly identity: Identity;
}

/** Everything the run needs to know about one server: how to start it, reach it and read its answer. */
export interface ServerSpec {
  readonly label: string;
  /** Its script, relative to the repository root (the baseline's: to BENCH_BASELINE_DIR). */
  readonly script: string;
  /** Polled until it answers 200 before the server counts as started. */
  readonly readyPath?: string;
  /** Its environment; `upstreamPort` is its upstream's, when it has one. */
  env(context: ServerEnvContext, upstreamPort?: number): Record<string, string>;
  /** The list query (variables: `first`). */
  readonly query: string;
  headers(identity: Identity): Record<string, string>;
  /** The root field of the list query's connection. */
  readonly connectionField: 'contacts' | 'allContacts';
  /** The node field holding the row id. */
  readonly idField: string;
  /** The node fields every answer must hold. */
  readonly fields: readonly string[];
  /** Its cursors are sealed: no row id may be readable in one (verify). */
  readonly opaqueCursors?: boolean;
  /** `false`: its query selects no cursor, and no answer may hold one. */
  readonly withCursors?: boolean;
  /** The enforcement variants: also measured at `_entities`, with the redactions per answer reported. */
  readonly entities?: boolean;
  /** Its SQL statements per request are counted before it is measured (countStatements). */
  readonly countSql?: boolean;
  /** The policy is replaced by allow-all: an answer with redactions means the switch is not in effect. */
  readonly allowAll?: boolean;
  /** Serves its own rows (a different purpose, or another seed): not compared row for row with the others. */
  readonly ownRows?: boolean;
  /** The baseline's build (BENCH_BASELINE_DIR), serving its own database, migrated and seeded by that build. */
  readonly baseline?: boolean;
  /** Serves the scale section's large database (run.scaleDatabase) instead of the bench database. */
  readonly largeDatabase?: boolean;
  /** A server in front of another: that one, started first, its own instance. */
  readonly upstream?: ServerName;
  /** Connects as the gateway's database role (the audit trail of its refusals, nothing else). */
  readonly gatewayRole?: boolean;
}

/**
 * V8 flags for every server alike. A larger young generation is what `npm start` and the Dockerfile use for
 * the subgraph (list responses allocate a lot of short-lived objects); the references get it too, for parity.
 */
export const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=32')
  .split(/\s+/)
  .filter(Boolean);

const custosDataDir = path.resolve(process.env.CUSTOS_DATA_DIR?.trim() || path.join(repoRoot, '.data'));

/** The headers of a `support_agent` declaring `customer_support`. */
export const supportHeaders = (identity: Identity): Record<string, string> => ({
  'content-type': 'application/json',
  authorization: `Bearer ${identity.token}`,
  'x-purpose': 'customer_support',
});

/**
 * Required in production (the subgraph always has a mail queue): a relay and a sender. No measured request mails
 * anyone, so the relay is the loopback discard port, where nothing listens: a message sent by mistake would fail
 * and wait in the outbox, never leave the machine. The outbox section delivers to a capture folder instead, outside
 * production (sections/outbox.ts).
 */
const PRODUCTION_MAIL = {
  SMTP_URL: 'smtp://127.0.0.1:9',
  MAIL_FROM: 'bench@custos.invalid',
  // The confirmation links' base (production requires one); no measured request mails a link.
  PUBLIC_BASE_URL: 'https://privacy.custos.invalid',
} as const;

/**
 * A Custos server: the built subgraph with the bench's identity provider, a `support_agent` token and
 * `X-Purpose: customer_support`. `mode` sets NODE_ENV and the allow-all switch (set to 0 explicitly when off, so
 * that a CUSTOS_POLICY_ALLOW_ALL in the caller's environment cannot change what is measured).
 */
export function custosServer(label: string, mode: Record<string, string>): ServerSpec {
  return {
    label,
    script: 'apps/subgraph/dist/main.js',
    readyPath: '/readyz',
    env: ({ identity, settings }) => ({
      ...mode,
      AUTH_JWKS_URL: identity.jwksUrl,
      AUTH_ISSUER: BENCH_ISSUER,
      AUTH_AUDIENCE: BENCH_AUDIENCE,
      // Required in production; the bench records no consent evidence.
      CONSENT_HMAC_KEY: BENCH_KEYS.consent,
      // Required in production: signs the audit trail's checkpoints (under CUSTOS_DATA_DIR/audit).
      AUDIT_SIGNING_KEY: BENCH_KEYS.auditSigning,
      // Required in production: seals the cursors of every list.
      CURSOR_KEYS: BENCH_KEYS.cursors,
      // Required in production: keys the HMAC of refused clients' addresses in the audit trail.
      AUDIT_HMAC_KEY: BENCH_KEYS.auditHmac,
      LOG_LEVEL: 'warn',
      SEED_CONTACTS: '0',
      DB_POOL_MAX: String(settings.poolSize),
      CUSTOS_DATA_DIR: custosDataDir,
      ...(mode.NODE_ENV === 'production' ? PRODUCTION_MAIL : {}),
    }),
    query: CUSTOS_QUERY,
    headers: supportHeaders,
    connectionField: 'contacts',
    idField: 'id',
    fields: CUSTOS_FIELDS,
    opaqueCursors: true,
  };
}

/** The gateway role's URL of this checkout's bench database (provisioned with it; only a baseline lacks one). */
function gatewayUrlOf(run: Run): string {
  const url = run.database.gatewayUrl;
  if (!url) throw new Error('the bench database has no gateway role');
  return url;
}

/** The subgraph as shipped: production mode, the policy enforced. */
export const PRODUCTION = { NODE_ENV: 'production', CUSTOS_POLICY_ALLOW_ALL: '0' } as const;

/**
 * The gateway (apps/gateway, production mode) in front of its own subgraph (`upstream`), with `client` as its
 * direct path's HTTP client (GATEWAY_SUBGRAPH_CLIENT: `custom`, the hand-written one, or `undici`).
 */
export function gatewayServer(label: string, client: 'custom' | 'undici', upstream: ServerName): ServerSpec {
  return {
    ...custosServer(label, { NODE_ENV: 'production' }),
    script: 'apps/gateway/dist/main.js',
    upstream,
    gatewayRole: true,
    env: ({ identity }, upstreamPort) => ({
      NODE_ENV: 'production',
      AUTH_JWKS_URL: identity.jwksUrl,
      AUTH_ISSUER: BENCH_ISSUER,
      AUTH_AUDIENCE: BENCH_AUDIENCE,
      // Its refusals go into the same audit trail, signed and keyed as the subgraph's.
      AUDIT_SIGNING_KEY: BENCH_KEYS.auditSigning,
      AUDIT_HMAC_KEY: BENCH_KEYS.auditHmac,
      CUSTOS_DATA_DIR: custosDataDir,
      LOG_LEVEL: 'warn',
      CUSTOS_SUBGRAPH_URL: `http://127.0.0.1:${upstreamPort}/graphql`,
      // Not queried here; nothing listens on the discard port.
      TICKETS_SUBGRAPH_URL: 'http://127.0.0.1:9/graphql',
      GATEWAY_SUBGRAPH_CLIENT: client,
    }),
  };
}

/** The database a server serves: the baseline's, the scale section's large one, or the bench database. */
export function databaseOf(run: Run, name: ServerName): BenchDatabase {
  const server = run.spec(name);
  const database = server.baseline
    ? run.baselineDatabase
    : server.largeDatabase
      ? run.scaleDatabase
      : run.database;
  if (!database) throw new Error(`${name}: its database was not prepared`);
  return database;
}

/** A started server: its port, its processes (`server`, and `front` for a server in front of another). */
export interface StartedServer {
  readonly port: number;
  readonly pids: Readonly<Record<string, number>>;
  /** Its last lines of output (and its upstream's): what explains an answer that failed verification. */
  output(): string;
  /** Stops it (the server in front first). */
  stop(): Promise<void>;
}

/** Polls until `probe()` is true; fails early when the server process dies. */
async function waitUntil(
  handle: ChildHandle,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died = false;
  handle.exited.then(() => {
    died = true;
  });
  while (Date.now() < deadline) {
    if (died) throw new Error(`${handle.name} exited before ${what}\n${handle.output()}`);
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${handle.name}: no ${what} after ${timeoutMs / 1000} s\n${handle.output()}`);
}

/**
 * Starts one server pinned to the server core (a front, with BENCH_GATEWAY_TOPOLOGY=split, to the load core);
 * resolves once it accepts connections (and is ready). `extraEnv` overrides the server's environment (the
 * SQL-counting instance's).
 */
export async function startServer(
  run: Run,
  name: ServerName,
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<StartedServer> {
  const server = run.spec(name);
  const script = path.resolve((server.baseline && run.settings.baselineDir) || repoRoot, server.script);
  if (!existsSync(script)) {
    throw new Error(
      `${path.relative(repoRoot, script)} is missing${name.startsWith('custos') ? ': build it first (npm run build)' : ''}`,
    );
  }
  const upstream = server.upstream ? await startServer(run, server.upstream, databaseUrl) : undefined;
  const database = server.baseline
    ? databaseOf(run, name)
    : { appUrl: databaseUrl, ownerUrl: databaseOf(run, name).ownerUrl };
  const port = await freePort();
  const env = {
    ...process.env,
    ...server.env(run, upstream?.port),
    ...extraEnv,
    DATABASE_URL: server.gatewayRole ? gatewayUrlOf(run) : database.appUrl,
    DATABASE_OWNER_URL: database.ownerUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const { settings } = run;
  const core = upstream && settings.gatewayTopology === 'split' ? settings.loadCore : settings.serverCore;
  const { command, args } = nodeCommand(core, [...NODE_FLAGS, script]);
  const handle = startChild(name, command, args, { env });
  try {
    await waitUntil(handle, 'listening', () => canConnect(port), 60_000);
    if (server.readyPath) {
      const readyUrl = `http://127.0.0.1:${port}${server.readyPath}`;
      await waitUntil(
        handle,
        `200 from ${server.readyPath}`,
        async () => (await fetch(readyUrl)).ok,
        120_000,
      );
    }
  } catch (error) {
    await stopChild(handle);
    await upstream?.stop();
    throw error;
  }
  const pid = handle.child.pid ?? 0;
  if (!upstream) return { port, pids: { server: pid }, output: handle.output, stop: () => stopChild(handle) };
  return {
    port,
    pids: { front: pid, server: upstream.pids.server ?? 0 },
    output: () => `${handle.output()}\n${upstream.output()}`,
    stop: async () => {
      await stopChild(handle);
      await upstream.stop();
    },
  };
}
