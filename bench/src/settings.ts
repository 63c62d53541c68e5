// The run's settings, from the environment (bench/README.md, "Running it"), and the names of the servers it can
// measure. A bad value stops the run before anything starts (exit 2).
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The scale section's servers: each purpose's row rule on the bench database and on the large one
 * (BENCH_SCALE_CONTACTS contacts). Selected only when named in BENCH_SERVERS: the large database takes minutes to
 * seed the first time.
 */
export const SCALE_SERVERS = [
  'scale-support',
  'scale-sales',
  'scale-marketing',
  'scale-support-large',
  'scale-sales-large',
  'scale-marketing-large',
] as const;

/**
 * Every server, in the default run order: the Custos servers first, so that a broken subgraph fails the run before
 * minutes are spent on the others; the members of each pair back to back, so that they see the same machine.
 */
export const SERVER_NAMES = [
  'change-before',
  'change-after',
  'custos',
  'custos-direct',
  'custos-via-gateway',
  'custos-via-gateway-undici',
  'custos-via-proxy',
  'consent-support',
  'consent-marketing',
  'public-consent',
  'outbox-delivery',
  'console-list',
  'custos-enforced',
  'custos-allow-all',
  'audit-off',
  'audit-on',
  'cursors-none',
  'cursors-sealed',
  'postgraphile',
  'bare',
  ...SCALE_SERVERS,
] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

const isServerName = (value: string): value is ServerName =>
  (SERVER_NAMES as readonly string[]).includes(value);

/**
 * The change section's pair: the subgraph built from an earlier checkout (BENCH_BASELINE_DIR) against this one.
 * Selected by default only when BENCH_BASELINE_DIR is set, and refused without it.
 */
export const CHANGE_PAIR = ['change-before', 'change-after'] as const satisfies readonly ServerName[];

export const isScaleServer = (name: ServerName): boolean =>
  (SCALE_SERVERS as readonly ServerName[]).includes(name);

export interface Settings {
  readonly contacts: number;
  /** The scale section's large database: its contacts, and its name (`<databaseName>_<scaleContacts>`). */
  readonly scaleContacts: number;
  readonly scaleDatabaseName: string;
  readonly sizes: readonly number[];
  readonly servers: readonly ServerName[];
  readonly baselineDir: string | undefined;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly rounds: number;
  /** Enforcement section: `_entities` representations per request. */
  readonly entities: number;
  /** Enforcement section: measured rounds of `_entities`. */
  readonly entitiesRounds: number;
  /** Consent section: events recorded through the API to measure the ledger's write rate. */
  readonly consentEvents: number;
  /** Public endpoint section: distinct emails of each kind (known contacts, unknown addresses) posted in turn. */
  readonly publicEmails: number;
  /** Outbox section: messages enqueued (outbox row and `mail.deliver` job) and delivered to the capture folder. */
  readonly outboxMessages: number;
  /** Requests sent one at a time to count SQL statements per request (after 3 unmeasured ones). */
  readonly sqlCountRequests: number;
  readonly databaseName: string;
  readonly gatewayTopology: 'split' | 'shared';
  readonly poolSize: number;
  readonly serverCore: number;
  readonly loadCore: number;
}

/** A whole number from the environment, or the fallback; anything else stops the run before it starts. */
function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A comma-separated list from the environment, every item checked by `allowed`, or the fallback. */
function listEnv<T extends string>(
  name: string,
  fallback: readonly T[],
  allowed: (value: string) => value is T,
): readonly T[];
function listEnv(
  name: string,
  fallback: readonly string[],
  allowed: (value: string) => boolean,
): readonly string[];
function listEnv(name: string, fallback: readonly string[], allowed: (value: string) => boolean) {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const values = raw.split(',').map((item) => item.trim());
  for (const value of values) {
    if (!allowed(value)) throw new Error(`${name}: unexpected value ${JSON.stringify(value)}`);
  }
  return values;
}

/**
 * BENCH_BASELINE_DIR: the root of another checkout of Custos, built (`npm ci && npm run build` there), whose
 * subgraph is measured against this one (the change section).
 */
function readBaselineDir(): string | undefined {
  const raw = process.env.BENCH_BASELINE_DIR?.trim();
  if (!raw) return undefined;
  const dir = path.resolve(raw);
  // Its runtime: from its packages since "One service runtime package", from its subgraph's kit before
  // (custos.ts loadProvisionDatabase takes whichever it has).
  const runtime = ['packages/runtime/dist/index.js', 'apps/subgraph/dist/kit.js'];
  for (const files of [['apps/subgraph/dist/main.js'], runtime, ['apps/subgraph/dist/cli/seed.js']]) {
    if (!files.some((file) => existsSync(path.join(dir, file)))) {
      throw new Error(
        `BENCH_BASELINE_DIR lacks ${files.join(' or ')}: build that checkout first (npm ci && npm run build)`,
      );
    }
  }
  return dir;
}

function parseSettings(): Settings {
  const baselineDir = readBaselineDir();
  const isChange = (name: ServerName) => (CHANGE_PAIR as readonly ServerName[]).includes(name);
  const databaseName = process.env.BENCH_DB_NAME?.trim() || 'custos_bench';
  const scaleContacts = intEnv('BENCH_SCALE_CONTACTS', 1_000_000, 1_000, 1_000_000);
  const parsed: Settings = {
    contacts: intEnv('BENCH_CONTACTS', 100_000, 1_000, 1_000_000),
    scaleContacts,
    // Named by its count: a run with another BENCH_SCALE_CONTACTS never drops a large database seeded earlier.
    scaleDatabaseName: `${databaseName}_${scaleContacts}`,
    sizes: listEnv('BENCH_SIZES', ['50', '500'], (v) => /^\d+$/.test(v) && +v >= 1 && +v <= 500).map(Number),
    servers: listEnv(
      'BENCH_SERVERS',
      SERVER_NAMES.filter((name) => (baselineDir || !isChange(name)) && !isScaleServer(name)),
      isServerName,
    ),
    baselineDir,
    connections: intEnv('BENCH_CONNECTIONS', 10, 1, 1_000),
    warmupSeconds: intEnv('BENCH_WARMUP', 3, 0, 600),
    durationSeconds: intEnv('BENCH_DURATION', 5, 1, 600),
    rounds: intEnv('BENCH_ROUNDS', 5, 1, 100),
    // Fewer `_entities` rounds than the lists' by default keeps the whole run near 6 minutes (both variants alike).
    entities: intEnv('BENCH_ENTITIES', 100, 1, 500),
    entitiesRounds: intEnv('BENCH_ENTITIES_ROUNDS', 3, 1, 100),
    consentEvents: intEnv('BENCH_CONSENT_EVENTS', 10_000, 100, 100_000),
    publicEmails: intEnv('BENCH_PUBLIC_EMAILS', 1_000, 10, 100_000),
    // Enough that the rate is delivery's, not the workers' start (about 20 s at ~100/s: README, Mail outbox).
    outboxMessages: intEnv('BENCH_OUTBOX_MESSAGES', 2_000, 10, 100_000),
    sqlCountRequests: 20,
    databaseName,
    // Where a server in front of the subgraph (the gateway, the byte proxy) runs: `split` (the default) pins it
    // to the load generator's core (a front on other hardware than its subgraph, as deployed: the subgraph keeps
    // its core to itself on both paths; on 2 cores the front shares with the load generator), `shared` to the
    // subgraph's core (one CPU budget for both: a sidecar's case). CPU per request is reported either way.
    gatewayTopology:
      listEnv('BENCH_GATEWAY_TOPOLOGY', ['split'], (v) => v === 'shared' || v === 'split')[0] ?? 'split',
    // Each server's pg pool: pg's default, equal to the default load connections, so no request waits for a client.
    poolSize: 10,
    serverCore: 0,
    loadCore: 1,
  };
  if (!baselineDir && parsed.servers.some(isChange)) {
    throw new Error(
      'the change-before and change-after servers need BENCH_BASELINE_DIR (a built earlier checkout)',
    );
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(parsed.databaseName)) {
    throw new Error('BENCH_DB_NAME must be a plain lower-case identifier');
  }
  if (parsed.servers.some(isScaleServer) && parsed.scaleContacts <= parsed.contacts) {
    throw new Error('BENCH_SCALE_CONTACTS must be above BENCH_CONTACTS (the scale section compares the two)');
  }
  if (parsed.sizes.some((size) => size >= parsed.contacts)) {
    throw new Error(
      'every size in BENCH_SIZES must be below BENCH_CONTACTS (each page must have a next page)',
    );
  }
  return parsed;
}

/** The settings, or exit 2 with the reason. */
export function readSettings(): Settings {
  try {
    return parseSettings();
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
