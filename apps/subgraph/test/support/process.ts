import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, dropRoles, provisionDatabase, withDatabase } from '@custos/runtime';
import pg from 'pg';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
}

/**
 * A built service (`dist/main.js`) in its own process, as `npm start` runs it: resolves once its `/readyz`
 * answers 200 on `port`, throws with its output when it exits first or is not ready within 90 s (then killed).
 */
export async function startBuiltProcess(
  script: string,
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<StartedProcess> {
  const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`subgraph exited early (${child.exitCode}):\n${output}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (ready === 200) return { child, output: () => output };
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`subgraph did not become ready:\n${output}`);
}

/** Resolves with how `child` ended: its exit code, or the signal that ended it. */
export function ended(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** A database of its own (owner and application roles, as deployed) and a data folder for built processes. */
export interface ProcessDatabase {
  readonly urls: { readonly ownerUrl: string; readonly appUrl: string };
  readonly dataDir: string;
  /** A superuser's pool on the database (fixtures, assertions). */
  readonly db: pg.Pool;
  /** The environment of a process on this database: the test's own, without its database or NODE_ENV. */
  env(extra: Record<string, string>): NodeJS.ProcessEnv;
  /** Kills every process `start` started that still runs, then drops the database, its roles and the folder. */
  drop(): Promise<void>;
  /** Starts the built service `main` on `port` with `env(extra)` (startBuiltProcess); `drop` kills it. */
  start(main: string, port: number, extra?: Record<string, string>): Promise<ChildProcess>;
}

export async function processDatabase(adminUrl: string, prefix: string): Promise<ProcessDatabase> {
  const name = `custos_t_${randomBytes(6).toString('hex')}`;
  const roles = { owner: `${name}_owner`, app: `${name}_app` };
  const urls = await provisionDatabase(adminUrl, name, roles, {
    owner: randomBytes(18).toString('base64url'),
    app: randomBytes(18).toString('base64url'),
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const db = new pg.Pool({ connectionString: withDatabase(adminUrl, name), max: 2 });
  db.on('error', () => {});
  const children: ChildProcess[] = [];
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const { DATABASE_URL: _db, DATABASE_OWNER_URL: _owner, NODE_ENV: _env, ...inherited } = process.env;
    return {
      ...inherited,
      DATABASE_URL: urls.appUrl,
      DATABASE_OWNER_URL: urls.ownerUrl,
      CUSTOS_DATA_DIR: dataDir,
      CUSTOS_BANNER: '0',
      LOG_LEVEL: 'warn',
      SEED_CONTACTS: '5',
      ...extra,
    };
  };
  return {
    urls,
    dataDir,
    db,
    env,
    async start(main, port, extra = {}) {
      const { child } = await startBuiltProcess(main, env({ PORT: String(port), ...extra }), port);
      children.push(child);
      return child;
    },
    async drop() {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await db.end();
      await dropDatabase(adminUrl, name);
      await dropRoles(adminUrl, roles);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
