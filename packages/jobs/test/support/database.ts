import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  createLogger,
  dropDatabase,
  dropRoles,
  type Logger,
  provisionDatabase,
  withDatabase,
} from '@custos/runtime';
import pg from 'pg';
import { inject } from 'vitest';

/** A database of its own for one test file, owned by one role and served as another, as deployed. */
export interface JobsDatabase {
  /** The application role's URL (DATABASE_URL). */
  readonly url: string;
  /** The owner role's URL (DATABASE_OWNER_URL). */
  readonly ownerUrl: string;
  readonly appRole: string;
  /** Runs a statement as a superuser on a separate connection (fixtures, assertions). */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createJobsDatabase(): Promise<JobsDatabase> {
  const adminUrl = inject('adminUrl');
  const name = `custos_jobs_${randomBytes(6).toString('hex')}`;
  const roles = { owner: `${name}_owner`, app: `${name}_app` };
  const { ownerUrl, appUrl } = await provisionDatabase(adminUrl, name, roles, {
    owner: randomBytes(18).toString('base64url'),
    app: randomBytes(18).toString('base64url'),
  });
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, name), max: 2 });
  // Dropping the database `with (force)` ends a client that may still be closing: not an error of the run.
  pool.on('error', () => {});
  return {
    url: appUrl,
    ownerUrl,
    appRole: roles.app,
    async sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
      return (await pool.query<T>(text, params)).rows;
    },
    async drop() {
      await pool.end();
      await dropDatabase(adminUrl, name);
      await dropRoles(adminUrl, roles);
    },
  };
}

/** A logger whose JSON lines are kept, to check what a job's log says (and never says). */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger('debug', sink, 'jobs-test'), lines };
}

/** Resolves when `check` holds (polled), or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

declare module 'vitest' {
  /** Given by the `packages` project's global setup (packages/database/test/support/embedded-setup.ts). */
  export interface ProvidedContext {
    adminUrl: string;
  }
}
